#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <system_error>
#include <vector>

#include <asio/execution_context.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

namespace socketchat::detail {

// Something with a deadline (a Session): told when it has passed.
class Timed {
 public:
  // The deadline has passed. Called on the io_context, under the Deadlines' lock, so
  // it only posts work to its own strand; it may be called while the object's last
  // owner is destroying it (its destructor waits on that lock to cancel): then it
  // must do nothing (weak_from_this() finds no owner).
  virtual void deadline_passed() = 0;

 protected:
  ~Timed() = default;

 private:
  friend class Deadlines;
  // 32 bits (a heap of connections is far shorter), so that a Session's first field fits
  // beside it, where the base would pad (a connection's size is the server's memory at
  // scale).
  static constexpr std::uint32_t unscheduled = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t slot_ = unscheduled;  // its place in Deadlines::heap_
};

// The deadlines of one io_context's connections (login, idle, handshake and drain
// timeouts), on one timer.
//
// Why: an Asio timer per connection costs its object (88 bytes) and, while it waits,
// an operation allocated for its handler (about 130 bytes): a fifth of an idle
// connection, and every connection waits on one (the idle timeout is on by default).
// Here a deadline is 16 bytes in a binary heap (plus the place kept in the Timed), and
// the one timer waits for the earliest.
//
// One per io_context (an Asio service), like WriteTurns; the mutex makes it safe for a
// host that runs its context on several threads, and for a Timed destroyed on any thread.
//
// Memory: the heap holds the deadlines scheduled now; when it empties far below a
// capacity a burst made it allocate (past shrink_above), it gives the rest back.
class Deadlines final : public asio::execution_context::service {
 public:
  using key_type = Deadlines;
  using Clock = std::chrono::steady_clock;
  static inline asio::execution_context::id id;
  static constexpr std::size_t shrink_above = 1024;  // slots of capacity

  explicit Deadlines(asio::execution_context& context);

  // Sets `timed`'s one deadline (replacing the one it had): deadline_passed() once `at`
  // has passed, unless cancelled or scheduled again before.
  void schedule(Timed& timed, Clock::time_point at);
  // Forgets `timed`'s deadline, if it has one; call it before `timed` is destroyed.
  void cancel(Timed& timed);

  std::size_t scheduled() const;  // for tests
  std::size_t capacity() const;   // for tests

 private:
  struct Entry {
    Clock::time_point at;
    Timed* timed;
  };

  void shutdown() override;
  void on_timer(std::error_code ec);
  void arm_locked();  // the timer waits for the earliest deadline
  void remove_locked(std::size_t slot);
  void place(std::size_t slot, Entry entry);
  std::size_t sift_up(std::size_t slot, const Entry& entry);
  std::size_t sift_down(std::size_t slot, const Entry& entry);

  mutable std::mutex mutex_;
  std::vector<Entry> heap_;  // a binary min-heap by `at`
  asio::steady_timer timer_;
  Clock::time_point armed_for_ = Clock::time_point::max();  // max: the timer does not wait
};

}  // namespace socketchat::detail
