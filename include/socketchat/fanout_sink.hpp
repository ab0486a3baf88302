#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "socketchat/event_sink.hpp"

namespace socketchat {

// Passes each event to several sinks in turn, e.g. a log and an async audit trail
// behind one AsyncSink. A sink that fails does not keep the others from the event.
class FanoutSink : public EventSink {
 public:
  FanoutSink() = default;
  explicit FanoutSink(std::vector<std::shared_ptr<EventSink>> sinks) : sinks_(std::move(sinks)) {}

  void add(std::shared_ptr<EventSink> sink) {
    std::lock_guard lock(mutex_);
    sinks_.push_back(std::move(sink));
  }

  void on_event(const Event& event) noexcept override {
    std::lock_guard lock(mutex_);
    for (const auto& sink : sinks_) sink->on_event(event);  // on_event is noexcept
  }

  void flush() noexcept override {
    std::lock_guard lock(mutex_);
    for (const auto& sink : sinks_) sink->flush();
  }

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<EventSink>> sinks_;
};

}  // namespace socketchat
