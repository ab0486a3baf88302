#include "socketchat/async_sink.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "socketchat/error.hpp"
#include "socketchat/owned_event.hpp"
#include "util/background_thread.hpp"

namespace socketchat {

namespace {
std::atomic<std::uint64_t> dropped_by_every_sink{0};

// The worker is woken by the first event of a burst, then gives the rest a moment to
// queue up (or until this many have), so a busy server hands over its events in
// batches: one wake-up and one write per batch, not a context switch per event (on
// one core they took the I/O thread's time, half its message rate with texts logged).
constexpr std::chrono::milliseconds gather_time{5};
constexpr std::size_t gather_events = 1024;
}  // namespace

class AsyncSink::Impl {
 public:
  Impl(std::shared_ptr<EventSink> inner, std::size_t capacity, OverflowPolicy policy)
      : inner_(std::move(inner)),
        capacity_(capacity),
        policy_(policy),
        enough_(std::min(capacity, gather_events)) {
    if (!inner_) throw config_error("AsyncSink: null inner sink");
    if (capacity_ == 0) throw config_error("AsyncSink: capacity must be at least 1");
    worker_ = std::thread([this] {
      detail::run_as_background_thread();
      run();
    });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_worker_.notify_one();
    worker_.join();
  }

  void push(const Event& event) noexcept {
    bool wake = false;
    try {
      std::unique_lock lock(mutex_);
      if (queue_.size() >= capacity_) {
        switch (policy_) {
          case OverflowPolicy::block:
            room_.wait(lock, [&] { return queue_.size() < capacity_ || stopping_; });
            break;
          case OverflowPolicy::drop_oldest:
            queue_.pop_front();
            ++retired_;
            count_drop();
            break;
          case OverflowPolicy::drop_newest:
            count_drop();
            return;
        }
      }
      queue_.emplace_back(event);
      ++accepted_;
      wake = queue_.size() == 1 || queue_.size() == enough_;
    } catch (...) {  // out of memory: the event is lost, and counted
      std::lock_guard lock(mutex_);
      count_drop();
      wake = true;
    }
    if (wake) wake_worker_.notify_one();
  }

  void drain() {
    std::unique_lock lock(mutex_);
    std::uint64_t target = accepted_;
    hurry(lock);
    idle_.wait(lock, [&] { return retired_ >= target; });
    --draining_;
  }

  bool drain_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::uint64_t target = accepted_;
    hurry(lock);
    bool done = idle_.wait_for(lock, timeout, [&] { return retired_ >= target; });
    --draining_;
    return done;
  }

  std::uint64_t dropped() const noexcept {
    std::lock_guard lock(mutex_);
    return dropped_;
  }

 private:
  // Someone waits for the queue to empty: the worker writes without gathering.
  void hurry(std::unique_lock<std::mutex>&) {
    ++draining_;
    wake_worker_.notify_one();
  }

  void count_drop() noexcept {  // under mutex_
    ++dropped_, ++unreported_;
    dropped_by_every_sink.fetch_add(1, std::memory_order_relaxed);
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_worker_.wait(lock, [&] { return stopping_ || !queue_.empty() || unreported_ != 0; });
      if (queue_.empty() && unreported_ == 0 && stopping_) return;
      wake_worker_.wait_for(lock, gather_time, [&] {
        return stopping_ || draining_ != 0 || queue_.size() >= enough_;
      });
      std::deque<OwnedEvent> batch;
      batch.swap(queue_);
      std::uint64_t lost = std::exchange(unreported_, 0);
      lock.unlock();
      room_.notify_all();
      for (const auto& e : batch) inner_->on_event(e.view());
      if (lost != 0) report_drops(lost);
      inner_->flush();
      lock.lock();
      retired_ += batch.size();
      idle_.notify_all();
    }
  }

  void report_drops(std::uint64_t lost) {
    std::string text = std::to_string(lost) + " events dropped: the sink fell behind";
    Event event{.kind = EventKind::error,
                .time = std::chrono::system_clock::now(),
                .text = text,
                .detail = "events-dropped"};
    inner_->on_event(event);
  }

  std::shared_ptr<EventSink> inner_;
  const std::size_t capacity_;
  const OverflowPolicy policy_;
  const std::size_t enough_;  // events that end the gathering at once
  mutable std::mutex mutex_;
  std::condition_variable wake_worker_, room_, idle_;
  std::deque<OwnedEvent> queue_;
  std::uint64_t accepted_ = 0;  // events queued, ever
  std::uint64_t retired_ = 0;   // of those, delivered or dropped
  std::uint64_t dropped_ = 0;
  std::uint64_t unreported_ = 0;
  int draining_ = 0;  // callers of drain() waiting
  bool stopping_ = false;
  std::thread worker_;
};

AsyncSink::AsyncSink(std::shared_ptr<EventSink> inner, std::size_t capacity, OverflowPolicy policy)
    : impl_(std::make_unique<Impl>(std::move(inner), capacity, policy)) {}
AsyncSink::~AsyncSink() = default;

void AsyncSink::on_event(const Event& event) noexcept {
  impl_->push(event);
}
void AsyncSink::drain() {
  impl_->drain();
}
std::uint64_t AsyncSink::dropped() const noexcept {
  return impl_->dropped();
}
bool AsyncSink::drain_for(std::chrono::milliseconds timeout) {
  return impl_->drain_for(timeout);
}
std::uint64_t AsyncSink::dropped_in_process() noexcept {
  return dropped_by_every_sink.load(std::memory_order_relaxed);
}

}  // namespace socketchat
