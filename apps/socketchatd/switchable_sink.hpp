#pragma once

#include <memory>
#include <mutex>

#include <socketchat/event_sink.hpp>

namespace socketchatd {

// Forwards events to a sink that can be replaced while the server runs (a reload
// that changes the log format). The lock is held only to copy the pointer.
class SwitchableSink final : public socketchat::EventSink {
 public:
  explicit SwitchableSink(std::shared_ptr<socketchat::EventSink> sink) : sink_(std::move(sink)) {}

  void switch_to(std::shared_ptr<socketchat::EventSink> sink) {
    std::lock_guard lock(mutex_);
    sink_ = std::move(sink);
  }

  void on_event(const socketchat::Event& event) noexcept override {
    std::shared_ptr<socketchat::EventSink> sink;
    {
      std::lock_guard lock(mutex_);
      sink = sink_;
    }
    if (sink) sink->on_event(event);
  }

  void flush() noexcept override {
    std::shared_ptr<socketchat::EventSink> sink;
    {
      std::lock_guard lock(mutex_);
      sink = sink_;
    }
    if (sink) sink->flush();
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<socketchat::EventSink> sink_;
};

}  // namespace socketchatd
