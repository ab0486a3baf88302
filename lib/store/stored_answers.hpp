#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "socketchat/history_store.hpp"

namespace socketchat::detail {

// Called with a record, once it is stored (true: with its id, and the store's epoch) or
// could not be (false).
using Stored = std::function<void(bool stored, HistoryRecord& record, const std::string& epoch)>;

// Told around each slice of a batch's answers, so that what the slice delivers goes out
// together (the Hub's StoredRun).
class BatchAnswers {
 public:
  virtual void answers_begin() = 0;
  virtual void answers_end() = 0;

 protected:
  ~BatchAnswers() = default;
};

// The event loop that answers the batches (an I/O thread's), instead of the writer's
// own thread.
class AnswerLoop {
 public:
  // Runs `task` on the loop, later; false if there is no loop yet (the server has not
  // started), and the caller runs it.
  virtual bool post(std::function<void()> task) = 0;
  // Around a batch's slices: the loop's writes wait meanwhile (WriteTurns::hold), so
  // that each recipient still gets the whole batch in one write.
  virtual void hold() = 0;
  virtual void release() = 0;

 protected:
  ~AnswerLoop() = default;
};

// One batch the writer stored: each record with whom to tell.
struct StoredBatch {
  std::vector<Stored> answers;
  std::vector<HistoryRecord> records;  // answers[i] is told of records[i]
  bool stored = false;
  std::string epoch;
  // Called once the last answer has run (on the loop, or where it ran), if set.
  std::function<void()> answered;
};

// The answers to the writer's batches, in the order they were stored, run on the
// AnswerLoop a slice at a time (slice_answers each, one handler per slice).
//
// Why: delivering a batch is most of the work a message costs. Done on the writer's
// thread, it held the CPU for up to a millisecond at a time, and an I/O thread sharing
// that core waited (a PING under a fanout: three times history off's round trip). In
// slices on the I/O thread, its event loop reads between them: a PING waits for at
// most one slice. The loop's writes wait until the batch's last slice, so the output
// of the whole batch still leaves in one write a recipient.
//
// How much it holds: the batches stored but not yet answered, each message of which
// is a command its sender waits on (at most max_messages_in_flight, 64, a connection:
// session/session_impl.hpp).
class StoredAnswers {
 public:
  static constexpr std::size_t slice_answers = 32;

  // `around` and `loop` may be null: no runs gathered; answered on the writer's thread.
  StoredAnswers(BatchAnswers* around, AnswerLoop* loop);
  ~StoredAnswers();  // answers what is still queued (finish())

  // The writer's thread: vectors for the next batch, with the capacity of earlier ones.
  StoredBatch spare();
  // The writer's thread: answers `batch` after every batch given before it.
  void answer(StoredBatch batch);
  // Answers, here and now, what is still queued (the loop may not run any more), and
  // every batch given later too. The writer has stopped.
  void finish();

 private:
  // What a posted slice reaches: the answers, while they exist. Its mutex is held while
  // a slice runs, so that finish() cannot run one at the same time.
  struct Gate {
    std::mutex mutex;
    StoredAnswers* answers = nullptr;
  };

  std::function<void()> slice_task();
  // Under gate_->mutex: runs slices until the next one is posted or none is left.
  void run_slices();
  // Under gate_->mutex: runs the next slice; true when more are queued.
  bool run_slice();
  void recycle(StoredBatch& batch);

  BatchAnswers* around_;
  AnswerLoop* loop_;
  std::mutex mutex_;
  std::deque<StoredBatch> queue_;  // the front is being answered
  std::size_t next_ = 0;           // queue_.front()'s first answer not yet run
  bool posted_ = false;            // a slice is posted to the loop
  bool finished_ = false;          // finish(): answered at once from now on
  // Answered batches' vectors, kept for the next ones while they are not too large: at
  // most two, of up to kept_answers each (about 72 KiB a batch).
  static constexpr std::size_t kept_answers = 512;
  std::vector<StoredBatch> spares_;
  std::shared_ptr<Gate> gate_;
};

}  // namespace socketchat::detail
