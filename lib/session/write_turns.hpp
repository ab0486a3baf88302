#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include <asio/execution_context.hpp>
#include <asio/io_context.hpp>

namespace socketchat::detail {

class Connection;

// The writes of one io_context, taken in turns of a few connections each, with the
// event loop's other work (reads above all) in between.
//
// Why: when one message goes to a hundred readers, a hundred writes are due at once.
// Posted one handler each, they would all run before the event loop looks for input
// again, so a PING arriving meanwhile waited for every one of them (the round trip
// under a saturating fanout was milliseconds). Queued here, they run a few at a time
// (writes_per_turn) and the event loop polls for input between turns: the PING is
// read, and answered, after at most a few writes. Batching does not suffer: output
// that arrives for a connection while it waits for its turn joins the same write.
//
// One per io_context (an Asio service), so that it lives exactly as long as the
// context; the mutex makes it safe for a host that runs its context on several
// threads (uncontended otherwise).
//
// Memory: the queue holds the writers still waiting, not every turn ever taken. Under
// sustained load it never empties, so the slots already served are dropped once they
// are half of it (compact_above); when it empties with a capacity far above what that
// round used (past shrink_above), it gives the rest back. Otherwise it keeps its
// capacity: steady load does not allocate.
class WriteTurns final : public asio::execution_context::service {
 public:
  using key_type = WriteTurns;
  static inline asio::execution_context::id id;
  static constexpr std::size_t writes_per_turn = 4;
  static constexpr std::size_t compact_above = 64;   // served slots
  static constexpr std::size_t shrink_above = 1024;  // slots of capacity

  explicit WriteTurns(asio::execution_context& context);

  // Queues `writer` for a turn (Connection::write_turn); it must not be queued already
  // (the Session keeps track: its write_pending_ flag).
  void schedule(std::shared_ptr<Connection> writer);

  // While held (more hold()s than release()s), no turn is taken; release() resumes them.
  // The history's answers hold their io_context's writes while they deliver a batch in
  // slices (StoredAnswers): the reads between slices run, the writes wait for the whole
  // batch and take it in one go. Any thread.
  void hold();
  void release();

  // The slots the queue has allocated (for tests).
  std::size_t capacity() const;

 private:
  void shutdown() override;
  void run_turn();

  asio::io_context& context_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Connection>> waiting_;
  std::size_t next_ = 0;  // waiting_[next_...] have not had their turn yet
  bool posted_ = false;   // a turn is posted to the context
  std::size_t holds_ = 0;
};

}  // namespace socketchat::detail
