#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "socketchat/event_sink.hpp"
#include "socketchat/owned_event.hpp"

namespace socketchat {

// Keeps every event, and lets a test wait for one instead of sleeping:
//   auto sink = std::make_shared<RecordingSink>();
//   server.add_sink(sink);
//   REQUIRE(sink->wait_for([](const Event& e) { return e.kind == EventKind::login; }));
class RecordingSink : public EventSink {
 public:
  using Predicate = std::function<bool(const Event&)>;

  void on_event(const Event& event) noexcept override {
    try {
      std::lock_guard lock(mutex_);
      events_.emplace_back(event);
    } catch (...) {  // out of memory: a test sink may lose an event, never the server
      return;
    }
    changed_.notify_all();
  }

  // Waits until some recorded event matches; false on timeout.
  bool wait_for(const Predicate& matches,
                std::chrono::milliseconds timeout = std::chrono::seconds{5}) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (const auto& e : events_) {
        if (matches(e.view())) return true;
      }
      return false;
    });
  }

  std::vector<OwnedEvent> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<OwnedEvent> events_;
};

}  // namespace socketchat
