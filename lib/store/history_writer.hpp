#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "socketchat/history_store.hpp"
#include "store/history_clock.hpp"
#include "store/history_query.hpp"
#include "store/stored_answers.hpp"

namespace socketchat::detail {

class EventBus;

// The one thread that talks to a store that may block (SQLite): it takes every
// message queued while the previous batch was being written and appends them all in
// one call (group commit), then reports each as stored. Messages queued on an I/O
// thread are handed over at the end of its event-loop round (util/round_end.hpp): a
// round's messages make one batch, and this thread wakes once for them. Queries wait
// their turn in the same queue, so a reader sees everything queued before it. The
// answers to appends run on the AnswerLoop, in slices (StoredAnswers), or on this
// thread when there is none; those to reads and visits run on this thread. Completions
// must only hand work to a connection's strand.
//
// A store with a journal (HistoryStore::journal) is given a round's messages at the
// round's end, on the I/O thread, and they are answered at once; they stay queued here,
// in their place, until this thread has appended them (indexed), so a read queued after
// them still sees them. When the journal refuses, messages wait for their append as
// above, and the next round's are not journaled before those are answered: answers go
// in the order of the ids.
class HistoryWriter {
 public:
  using Stored = detail::Stored;  // stored_answers.hpp
  // Called with the page found (its epoch set), or with nothing when the store failed.
  using Found = std::function<void(std::optional<HistoryPage> page)>;
  // Work on the store that is more than one read: called with the store, on this thread
  // in its turn, or with null when the writer has stopped. It catches what it throws.
  using Visit = std::function<void(HistoryStore* store)>;

  HistoryWriter(HistoryStore& store, EventBus& bus, BatchAnswers* around = nullptr,
                AnswerLoop* loop = nullptr);
  ~HistoryWriter();  // finishes what is queued, then stops

  // Stamps record.unix_ms when it is stored.
  void append(HistoryRecord record, Stored stored);
  void read(std::string scope, HistoryQuery query, Found found);
  void visit(Visit visit);
  void prune(std::chrono::system_clock::time_point cutoff);
  // A mark on the clock that stamps the records (HistoryClock::mark); any thread.
  std::int64_t mark();
  // Appends queued and not yet written to the store, journaled ones included until they
  // are indexed; a batch leaves it once its write is over, failed or not. Any thread.
  std::uint64_t backlog();
  // Finishes what is queued and stops the thread, then answers here what the loop has
  // not; later calls are refused (Stored gets false, Found gets nothing).
  void stop();

 private:
  struct Job {
    enum class Kind { append, read, prune, visit } kind;
    HistoryRecord record{};  // append; for read, scope holds the scope
    HistoryQuery query{};
    std::chrono::system_clock::time_point cutoff{};
    Stored stored{};
    Found found{};
    Visit visit{};
    std::uint64_t number = 0;  // append: the how-manyth
    bool journaled = false;    // append: answered already; to be indexed
  };

  // What a round's end calls: it holds the writer only while the writer exists.
  struct Kick {
    std::mutex mutex;
    HistoryWriter* writer = nullptr;
  };

  void run();
  bool ready_locked() const;
  bool released(const Job& job) const;  // may be written now
  // The end of a round: releases what was queued; `journal`: on an I/O thread, whose
  // appends may go to the store's journal now.
  void submit(bool journal);
  // Under mutex_: journals the released appends not yet journaled, and has them answered.
  void journal_released();
  // On the loop: the last journaled batch is delivered; submits what gathered meanwhile.
  void journal_delivered();
  void write(std::vector<Job>& batch);
  void index(std::vector<Job>& batch);
  void report(std::string_view detail, std::string_view what);

  std::mutex clock_mutex_;  // this thread stamps, a LOGIN marks
  HistoryClock clock_;      // records are stamped in the order they are stored
  HistoryStore& store_;
  EventBus& bus_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  std::uint64_t appended_ = 0;             // appends queued, ever
  std::atomic<std::uint64_t> written_{0};  // of those, the ones this thread has written
  std::uint64_t released_ = 0;             // of those, the ones whose round has ended
  bool kick_pending_ = false;              // a round's end is on its way
  // Of jobs_, those before this index are no append waiting to be journaled.
  std::size_t unjournaled_from_ = 0;
  std::vector<Job*> journaling_;  // journal_released()'s, kept from round to round
  // This thread is appending messages that were not journaled: none is journaled until
  // they are answered.
  bool owing_ = false;
  bool delivering_ = false;  // a journaled batch is being delivered
  bool gathering_ = false;   // appends wait for it (not released) to go as one batch
  std::shared_ptr<Kick> kick_ = [this] {
    auto kick = std::make_shared<Kick>();
    kick->writer = this;  // before thread_ starts, like every member above it
    return kick;
  }();
  bool stopping_ = false;
  // The batch being written: this thread's, kept from one batch to the next up to
  // kept_jobs (about 200 KiB).
  static constexpr std::size_t kept_jobs = 512;
  static constexpr std::size_t batch_jobs = 512;  // taken from the queue at a time
  std::vector<Job> batch_;
  std::vector<HistoryRecord> indexed_;  // a journaled batch's records, kept likewise
  bool has_loop_;          // answers are posted to a loop, never run where they are given
  StoredAnswers answers_;  // before thread_, which uses it
  std::thread thread_;
};

}  // namespace socketchat::detail
