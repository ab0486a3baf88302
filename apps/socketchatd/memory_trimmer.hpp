#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace socketchatd {

// Gives the memory the allocator keeps after a burst back to the system, every few
// seconds, from a thread of its own. glibc keeps freed memory in its arenas (one per
// I/O thread) for reuse, so without this a daemon's RSS stays at the peak of its
// busiest minute long after the load has gone. Trimming a heap that is already small
// costs microseconds.
class MemoryTrimmer {
 public:
  explicit MemoryTrimmer(std::chrono::milliseconds every)
      : thread_([this, every] { run(every); }) {}
  ~MemoryTrimmer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_one();
    thread_.join();
  }
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

 private:
  void run(std::chrono::milliseconds every) {
    std::unique_lock lock(mutex_);
    while (!changed_.wait_for(lock, every, [this] { return stopping_; })) {
      lock.unlock();
#if defined(__GLIBC__)
      ::malloc_trim(0);
#endif
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once everything it uses exists
};

}  // namespace socketchatd
