#include "store/stored_answers.hpp"

#include <algorithm>
#include <utility>

namespace socketchat::detail {

StoredAnswers::StoredAnswers(BatchAnswers* around, AnswerLoop* loop)
    : around_(around), loop_(loop), gate_(std::make_shared<Gate>()) {
  gate_->answers = this;
}

StoredAnswers::~StoredAnswers() {
  finish();
}

StoredBatch StoredAnswers::spare() {
  std::lock_guard lock(mutex_);
  if (spares_.empty()) return {};
  StoredBatch batch = std::move(spares_.back());
  spares_.pop_back();
  return batch;
}

void StoredAnswers::answer(StoredBatch batch) {
  bool here = false;
  bool post = false;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(batch));
    here = !loop_ || finished_;
    post = !here && !std::exchange(posted_, true);
  }
  if (here) {
    std::lock_guard gate(gate_->mutex);
    while (run_slice()) {
    }
  } else if (post && !loop_->post(slice_task())) {
    std::lock_guard gate(gate_->mutex);
    run_slices();
  }
}

std::function<void()> StoredAnswers::slice_task() {
  return [gate = gate_] {
    std::lock_guard lock(gate->mutex);
    if (gate->answers) gate->answers->run_slices();
  };
}

void StoredAnswers::run_slices() {
  while (run_slice()) {
    if (loop_->post(slice_task())) return;  // the rest after the loop's other work
  }
}

bool StoredAnswers::run_slice() {
  StoredBatch* batch = nullptr;
  std::size_t begin = 0;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
      posted_ = false;
      return false;
    }
    batch = &queue_.front();  // stays put while the writer pushes behind it
    begin = next_;
  }
  const std::size_t end = std::min(begin + slice_answers, batch->answers.size());
  if (begin == 0 && loop_) loop_->hold();
  if (around_) around_->answers_begin();
  for (std::size_t i = begin; i < end; ++i) {
    batch->answers[i](batch->stored, batch->records[i], batch->epoch);
  }
  if (around_) around_->answers_end();
  const bool last = end == batch->answers.size();
  if (last && loop_) loop_->release();
  StoredBatch done;
  bool more = false;
  {
    std::lock_guard lock(mutex_);
    if (last) {
      done = std::move(queue_.front());
      queue_.pop_front();
      next_ = 0;
    } else {
      next_ = end;
    }
    more = !queue_.empty();
    if (!more) posted_ = false;
  }
  if (last) {
    if (done.answered) done.answered();
    recycle(done);
  }
  return more;
}

void StoredAnswers::recycle(StoredBatch& batch) {
  // Its answers hold their senders: they go here, outside the lock.
  batch.answers.clear();
  batch.records.clear();
  batch.epoch.clear();
  batch.answered = nullptr;
  if (batch.answers.capacity() > kept_answers || batch.records.capacity() > kept_answers) return;
  std::lock_guard lock(mutex_);
  if (spares_.size() < 2) spares_.push_back(std::move(batch));
}

void StoredAnswers::finish() {
  std::lock_guard gate(gate_->mutex);  // waits for a slice running on the loop
  gate_->answers = nullptr;            // slices posted from now on do nothing
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  while (run_slice()) {
  }
}

}  // namespace socketchat::detail
