#pragma once

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
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
// It trims every `every`; and, looking at the process's RSS and CPU time every
// `look_every` (a read of /proc and a clock, which take no allocator lock):
// - whenever RSS has grown by `grown_past` since the last trim, and once more
//   `settle_after` after such a burst's last growth;
// - when the process goes quiet after having been busy since the last trim (at most
//   once per `quiet_after`): a burst's end, when what it used is freed at once (a
//   thousand TLS handshakes in flight hold tens of KiB each) and nothing grows any more.
// So what a burst leaves behind goes back within a second of its end rather than at the
// next period. A trim walks the allocator's free chunks under each arena's lock (tens
// of milliseconds for a heap in a hundred thousand pieces), so it is never repeated
// while nothing grows and nothing works.
class MemoryTrimmer {
 public:
  static constexpr std::size_t grown_past = 16 * 1024 * 1024;
  static constexpr std::chrono::milliseconds look_every{250};
  static constexpr std::chrono::seconds settle_after{1};
  static constexpr std::chrono::milliseconds quiet_after{500};

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
    auto last_look = last_trim;
    auto cpu_at_look = cpu_time();
    std::size_t resident_after_trim = resident_bytes();
    bool burst = false;  // a trim for growth happened; the one after it has not
    bool busy = false;   // the process was busy at a look since the last trim
    std::unique_lock lock(mutex_);
    while (!changed_.wait_for(lock, std::min<std::chrono::milliseconds>(every, look_every),
                              [this] { return stopping_; })) {
      lock.unlock();
      const auto now = Clock::now();
      const auto cpu = cpu_time();
      const auto worked = cpu - cpu_at_look, elapsed = now - last_look;
      cpu_at_look = cpu;
      last_look = now;
      busy = busy || worked >= elapsed / 4;  // a quarter of a core, or more
      const bool went_quiet = busy && worked < elapsed / 20 && now - last_trim >= quiet_after;
      const bool grown = resident_bytes() > resident_after_trim + grown_past;
      if (grown || went_quiet || now - last_trim >= every ||
          (burst && now - last_trim >= settle_after)) {
#if defined(__GLIBC__)
        ::malloc_trim(0);
#endif
        last_trim = now;
        resident_after_trim = resident_bytes();
        burst = grown;
        busy = false;
      }
      lock.lock();
    }
  }

  // The CPU time of the whole process, every thread's.
  static std::chrono::nanoseconds cpu_time() {
    timespec time{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time);
    return std::chrono::seconds(time.tv_sec) + std::chrono::nanoseconds(time.tv_nsec);
  }

  // The process's resident set (0 if /proc cannot say).
  static std::size_t resident_bytes() {
    int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char text[128];
    ssize_t n = ::read(fd, text, sizeof text - 1);
    ::close(fd);
    if (n <= 0) return 0;
    text[n] = '\0';
    char* rest = nullptr;
    std::strtoull(text, &rest, 10);                       // the size
    const auto pages = std::strtoull(rest, nullptr, 10);  // then the resident pages
    return static_cast<std::size_t>(pages) * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts once everything it uses exists
};

}  // namespace socketchatd
