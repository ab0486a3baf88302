#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace socketchat::detail {

// The locks of the connections' output queues (Session::send from any thread against
// the connection's own writes): a fixed set, one per server, a connection's queue
// guarded by the one its id picks.
//
// Why shared: a std::mutex is 40 bytes, and an idle connection's whole share of the
// server about a kilobyte (test_connection_memory). Two connections that share a lock
// wait for each other only when two threads touch their queues at the same instant,
// for the few instructions of a push or a swap; no code holds two queue locks at once,
// so sharing one cannot deadlock.
class OutputLocks {
 public:
  static constexpr std::size_t count = 256;

  std::mutex& of(std::uint64_t connection_id) noexcept {
    return locks_[connection_id % count].mutex;
  }

 private:
  // A cache line each: threads taking neighbouring locks do not slow each other.
  struct alignas(64) Lock {
    std::mutex mutex;
  };
  std::array<Lock, count> locks_;
};

}  // namespace socketchat::detail
