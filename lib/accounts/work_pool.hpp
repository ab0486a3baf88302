#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace socketchat::detail {

// A few threads that run blocking work (password hashes, account lookups) off the I/O
// threads. The queue is bounded: in a login storm, post() refuses (the caller answers
// `ERR server-busy`) rather than letting memory grow with every waiting job.
class WorkPool {
 public:
  // `name` names the threads (as ps and debuggers show them). `niceness` lowers their
  // scheduling priority below the rest of the process's (Linux's nice: 0 = the same,
  // 19 = the lowest), so that their work yields the core to the I/O threads. Throws
  // std::invalid_argument when `threads` or `max_queued` is 0.
  WorkPool(std::string name, unsigned threads, std::size_t max_queued, int niceness = 0);
  ~WorkPool();  // stop()
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Queues `job`; false, and `job` dropped, when `max_queued` jobs already wait, when
  // stopped, or when no thread could be started. The threads start on the first post:
  // a server that never posts has none. A job that throws is dropped with its exception.
  bool post(std::function<void()> job);
  // How many jobs wait (those running not counted).
  std::size_t queued() const;
  // Takes no more jobs, drops those waiting, and waits for those running to end.
  // Idempotent. Not from one of the pool's own jobs.
  void stop();

 private:
  void start_threads();  // with mutex_ held
  void run();

  const std::string name_;
  const unsigned thread_count_;
  const std::size_t max_queued_;
  const int niceness_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
};

}  // namespace socketchat::detail
