// A fixed set of threads behind a bounded queue (work_pool.hpp).
#include "accounts/work_pool.hpp"

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

#if defined(__linux__)
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace socketchat::detail {

WorkPool::WorkPool(std::string name, unsigned threads, std::size_t max_queued, int niceness)
    : name_(std::move(name)), thread_count_(threads), max_queued_(max_queued), niceness_(niceness) {
  if (threads == 0) throw std::invalid_argument("WorkPool " + name_ + ": threads must be >= 1");
  if (max_queued == 0) {
    throw std::invalid_argument("WorkPool " + name_ + ": max_queued must be >= 1");
  }
  threads_.reserve(threads);  // so that starting them later allocates nothing
}

WorkPool::~WorkPool() {
  stop();
}

bool WorkPool::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && jobs_.size() < max_queued_) {
      if (threads_.size() < thread_count_) start_threads();
      if (!threads_.empty()) {
        jobs_.push_back(std::move(job));
        wake_.notify_one();
        return true;
      }
    }
  }
  return false;  // `job` is destroyed here, outside the lock: its captures may post or lock
}

std::size_t WorkPool::queued() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void WorkPool::stop() {
  std::deque<std::function<void()>> dropped;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(jobs_);
    threads.swap(threads_);
  }
  wake_.notify_all();
  dropped.clear();  // outside the lock: a job's captures may post (refused now) or lock
  for (auto& thread : threads) thread.join();
}

void WorkPool::start_threads() {
  // A thread that cannot be had now (resource limits) is tried again on the next post;
  // with none at all, post refuses as if the queue were full.
  try {
    while (threads_.size() < thread_count_) {
      threads_.emplace_back([this] { run(); });
#if defined(__linux__)
      // At most 15 characters; a name that does not fit is only cosmetic.
      pthread_setname_np(threads_.back().native_handle(), name_.substr(0, 15).c_str());
#endif
    }
  } catch (const std::system_error&) {
  }
}

void WorkPool::run() {
#if defined(__linux__)
  // Linux keeps a nice value per thread: this one's alone is raised. Raising needs no
  // privilege; failing leaves the thread at the process's priority, which only costs
  // the I/O threads some latency under load.
  if (niceness_ > 0) {
    const auto self = static_cast<id_t>(gettid());
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, self);
    if (errno == 0) setpriority(PRIO_PROCESS, self, current + niceness_);
  }
#endif
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (...) {
      // A failed job is the job's to report; the thread serves the next one.
    }
  }
}

}  // namespace socketchat::detail
