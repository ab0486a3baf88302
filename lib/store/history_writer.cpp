#include "store/history_writer.hpp"

#include <utility>

#include "sinks/event_bus.hpp"
#include "util/background_thread.hpp"
#include "util/round_end.hpp"

namespace socketchat::detail {

HistoryWriter::HistoryWriter(HistoryStore& store, EventBus& bus, BatchAnswers* around,
                             AnswerLoop* loop)
    : store_(store), bus_(bus), has_loop_(loop != nullptr), answers_(around, loop), thread_([this] {
        run_as_background_thread();
        run();
      }) {}

HistoryWriter::~HistoryWriter() {
  stop();
}

void HistoryWriter::stop() {
  {
    std::lock_guard gate(kick_->mutex);
    kick_->writer = nullptr;
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  answers_.finish();
}

void HistoryWriter::append(HistoryRecord record, Stored stored) {
  bool queued = false;
  bool kick = false;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      jobs_.push_back({.kind = Job::Kind::append,
                       .record = std::move(record),
                       .stored = std::move(stored),
                       .number = ++appended_});
      queued = true;
      kick = !std::exchange(kick_pending_, true);
    }
  }
  if (!queued) return stored(false, record, {});
  if (!kick) return;  // this round's end is already on its way
  std::function<void()> task = [kick = kick_] {
    std::lock_guard gate(kick->mutex);
    if (kick->writer) kick->writer->submit(true);
  };
  if (!at_round_end(task)) submit(false);
}

void HistoryWriter::submit(bool journal) {
  {
    std::lock_guard lock(mutex_);
    kick_pending_ = false;  // the next append's round needs an end of its own
    // Only where the answers are posted to the loop (never run here, under the lock),
    // and not while this thread owes answers to messages before these.
    if (journal && has_loop_ && !owing_ && delivering_) {
      // A journaled batch is being delivered: what comes meanwhile waits for it to be out
      // and then goes as one batch (journal_delivered()), as commits gathered what came
      // during the one before. Batch by round, a busy loop delivered a few messages at a
      // time, in three times as many writes.
      gathering_ = true;
      return;
    }
    released_ = appended_;  // what was queued up to this round's end
    if (journal && has_loop_ && !owing_) journal_released();
  }
  wake_.notify_one();
}

void HistoryWriter::journal_delivered() {
  bool gathered = false;
  {
    std::lock_guard lock(mutex_);
    delivering_ = false;
    gathered = std::exchange(gathering_, false);
  }
  if (gathered) submit(true);
}

void HistoryWriter::journal_released() {
  StoredBatch out = answers_.spare();
  std::vector<Job*>& jobs = journaling_;
  jobs.clear();
  if (jobs.capacity() > kept_jobs) jobs.shrink_to_fit();  // a burst's goes with the next round
  for (std::size_t i = unjournaled_from_; i < jobs_.size(); ++i) {
    Job& job = jobs_[i];
    if (job.kind != Job::Kind::append || job.journaled) continue;
    jobs.push_back(&job);
    out.records.push_back(std::move(job.record));
  }
  if (jobs.empty()) return;
  {
    std::lock_guard lock(clock_mutex_);
    for (auto& record : out.records) record.unix_ms = clock_.stamp();
  }
  bool kept = false;
  try {
    kept = store_.journal(out.records);
    if (kept) out.epoch = store_.epoch();
  } catch (const std::exception& e) {
    report("history-write-failed", e.what());  // left to the writer, which may yet store them
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (!kept) {
      jobs[i]->record = std::move(out.records[i]);
      jobs[i]->record.id = 0;
      continue;
    }
    jobs[i]->record = out.records[i];  // to be indexed; the answers tell of out's
    jobs[i]->journaled = true;
    out.answers.push_back(std::move(jobs[i]->stored));
  }
  if (!kept) return;
  unjournaled_from_ = jobs_.size();
  out.stored = true;
  out.answered = [kick = kick_] {
    std::lock_guard gate(kick->mutex);
    if (kick->writer) kick->writer->journal_delivered();
  };
  delivering_ = true;
  answers_.answer(std::move(out));
}

bool HistoryWriter::ready_locked() const {
  if (stopping_) return true;
  if (jobs_.empty()) return false;
  return released(jobs_.front());
}

bool HistoryWriter::released(const Job& job) const {
  return stopping_ || job.kind != Job::Kind::append || job.number <= released_;
}

void HistoryWriter::read(std::string scope, HistoryQuery query, Found found) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      jobs_.push_back({.kind = Job::Kind::read,
                       .record = {.scope = std::move(scope)},
                       .query = std::move(query),
                       .found = std::move(found)});
      wake_.notify_one();
      return;
    }
  }
  found(std::nullopt);
}

void HistoryWriter::visit(Visit visit) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      jobs_.push_back({.kind = Job::Kind::visit, .visit = std::move(visit)});
      wake_.notify_one();
      return;
    }
  }
  visit(nullptr);
}

void HistoryWriter::prune(std::chrono::system_clock::time_point cutoff) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  jobs_.push_back({.kind = Job::Kind::prune, .cutoff = cutoff});
  wake_.notify_one();
}

std::int64_t HistoryWriter::mark() {
  std::lock_guard lock(clock_mutex_);
  return clock_.mark();
}

std::uint64_t HistoryWriter::backlog() {
  std::lock_guard lock(mutex_);  // appended_'s; every job written was appended before
  return appended_ - written_.load(std::memory_order_relaxed);
}

void HistoryWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // Appends wait for the end of the round that queued them (every round ends: an
    // io_context stops only after stop() here).
    wake_.wait(lock, [&] { return ready_locked(); });
    if (jobs_.empty()) return;  // stopping, and everything queued is done
    // Everything that queued up meanwhile: appends go to the store as one batch, up
    // to the first job of another kind, which keeps its place in the order.
    std::vector<Job>& batch = batch_;
    auto joins = [&batch](const Job& next) {
      return batch.empty() ||
             (batch.front().kind == Job::Kind::append && next.kind == Job::Kind::append &&
              batch.front().journaled == next.journaled);
    };
    // At most batch_jobs at a time: moving a backlog of tens of thousands of jobs out
    // of the queue held its lock, and every I/O thread's next append, for 20 ms.
    while (!jobs_.empty() && batch.size() < batch_jobs && released(jobs_.front()) &&
           joins(jobs_.front())) {
      batch.push_back(std::move(jobs_.front()));
      jobs_.pop_front();
      if (unjournaled_from_ > 0) --unjournaled_from_;
    }
    const bool appends = batch.front().kind == Job::Kind::append;
    const bool owes = appends && !batch.front().journaled;
    owing_ = owes;
    lock.unlock();
    write(batch);
    if (appends) written_.fetch_add(batch.size(), std::memory_order_relaxed);
    batch.clear();
    if (owes) {
      lock.lock();
      owing_ = false;  // answered: the next round's may be journaled
      lock.unlock();
    }
    // Kept for the next batch: freeing it each time had the allocator give the memory
    // back to the kernel and fault it in again, batch after batch. Past a burst's size
    // it goes.
    if (batch.capacity() > kept_jobs) batch.shrink_to_fit();
    lock.lock();
  }
}

void HistoryWriter::write(std::vector<Job>& batch) {
  Job& first = batch.front();
  if (first.kind == Job::Kind::read) {
    std::optional<HistoryPage> found;
    try {
      found = read_page(store_, first.record.scope, first.query);
    } catch (const std::exception& e) {
      report("history-read-failed", e.what());
    } catch (...) {
      report("history-read-failed", "unknown exception");
    }
    first.found(std::move(found));  // nothing when the read failed
    return;
  }
  if (first.kind == Job::Kind::visit) return first.visit(&store_);
  if (first.kind == Job::Kind::append && first.journaled) return index(batch);
  if (first.kind == Job::Kind::prune) {
    try {
      store_.prune(first.cutoff);
    } catch (const std::exception& e) {
      report("history-prune-failed", e.what());
    }
    return;
  }
  StoredBatch out = answers_.spare();
  out.answers.reserve(batch.size());
  out.records.reserve(batch.size());
  {
    std::lock_guard lock(clock_mutex_);
    for (auto& job : batch) {
      job.record.unix_ms = clock_.stamp();
      out.records.push_back(std::move(job.record));
      out.answers.push_back(std::move(job.stored));
    }
  }
  out.stored = true;
  try {
    store_.append(out.records);
    out.epoch = store_.epoch();
  } catch (const std::exception& e) {
    out.stored = false;  // nothing of the batch is delivered: never a message that is not kept
    report("history-write-failed", e.what());
  }
  answers_.answer(std::move(out));
}

// Journaled messages, answered already: stored for reading. Should that fail, they
// stay in the journal, and the store indexes them when it is opened again.
void HistoryWriter::index(std::vector<Job>& batch) {
  for (auto& job : batch) indexed_.push_back(std::move(job.record));
  try {
    store_.append(indexed_);
  } catch (const std::exception& e) {
    report("history-index-failed", e.what());
  }
  indexed_.clear();
  if (indexed_.capacity() > kept_jobs) indexed_.shrink_to_fit();
}

void HistoryWriter::report(std::string_view detail, std::string_view what) {
  Event event{.kind = EventKind::error, .time = {}, .text = what, .detail = detail};
  bus_.publish(event);
}

}  // namespace socketchat::detail
