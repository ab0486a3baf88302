#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <vector>

namespace socketchat::detail {

// Scratch objects lent by the thread: what a connection needs only while it does
// something (a WebSocket write's frame headers and gather list), borrowed when that
// starts and given back when it ends.
//
// Why: kept in every connection, such an object and the capacity its last use left
// cost an idle connection what 19,000 of them multiply (the server's memory at scale);
// freed after each use, it would cost an allocation per write, so per recipient of
// every message. Lent, an idle connection holds a null pointer, and a thread that
// writes to many connections one after another reuses the same object: only writes
// that wait for a full socket keep one, each its own.
//
// T has clear(): called when it is given back, it empties T and gives back memory past
// what a reuse should keep (reset_buffer). A thread keeps at most `kept` spares; one
// given back on another thread than it was lent on joins that thread's spares.
template <class T>
class ThreadScratch {
 public:
  static constexpr std::size_t kept = 16;

  struct GiveBack {
    void operator()(T* scratch) const noexcept {
      scratch->clear();
      if (!shelf_closed()) {
        auto& spares = shelf().spares;
        if (spares.size() < kept) {
          try {
            spares.emplace_back(scratch);
            return;
          } catch (const std::bad_alloc&) {  // freed below, as if the shelf were full
          }
        }
      }
      delete scratch;
    }
  };
  using Lease = std::unique_ptr<T, GiveBack>;

  static Lease borrow() {
    if (!shelf_closed()) {
      auto& spares = shelf().spares;
      if (!spares.empty()) {
        Lease lease(spares.back().release());
        spares.pop_back();
        return lease;
      }
    }
    return Lease(new T());
  }

 private:
  struct Shelf {
    std::vector<std::unique_ptr<T>> spares;
    ~Shelf() { shelf_closed() = true; }  // before the spares go
  };
  static Shelf& shelf() {
    thread_local Shelf shelf;
    return shelf;
  }
  // Set once the thread's shelf is destroyed (the thread is ending): a lease given back
  // after that, by an object destroyed later, is freed. Trivially destructible, so it
  // stays readable until the thread is gone.
  static bool& shelf_closed() {
    thread_local bool closed = false;
    return closed;
  }
};

}  // namespace socketchat::detail
