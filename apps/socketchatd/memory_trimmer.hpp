#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace socketchatd {

// Gives the memory the allocator keeps after a burst back to the system, from a thread
// of its own. glibc keeps freed memory in its arenas (one per I/O thread) for reuse, so
// without this a daemon's RSS stays at the peak of its busiest minute long after the
// load has gone.
//
// It trims every `every`, and, between those, as soon as a look (each `look_every`)
// finds more than `free_past` bytes free in the arenas: a burst of TLS handshakes (each
// tens of KiB while it lasts, thousands at once) leaves that much behind, and its memory
// goes back within the second rather than after the next period. Looking costs a walk of
// the allocator's free lists, trimming a heap that is already small microseconds.
class MemoryTrimmer {
 public:
  static constexpr std::size_t free_past = 16 * 1024 * 1024;
  static constexpr std::chrono::milliseconds look_every{250};

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
    using Clock = std::chrono::steady_clock;
    auto last_trim = Clock::now();
    std::unique_lock lock(mutex_);
    while (!changed_.wait_for(lock, std::min(every, look_every), [this] { return stopping_; })) {
      lock.unlock();
#if defined(__GLIBC__)
      if (Clock::now() - last_trim >= every || ::mallinfo2().fordblks > free_past) {
        ::malloc_trim(0);
        last_trim = Clock::now();
      }
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
