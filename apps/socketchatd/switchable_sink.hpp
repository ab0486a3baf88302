#pragma once

#include <memory>
#include <mutex>

#include <socketchat/event_sink.hpp>

namespace socketchatd {

// Forwards events to a sink that can be replaced while the server runs (a reload that
// changes the log format). Events and flushes must come from one thread at a time, as
// they do behind an AsyncSink: that thread makes the switch, between two events, after
// the old sink has written out what it holds, so no line is lost or mixed at a switch.
class SwitchableSink final : public socketchat::EventSink {
 public:
  explicit SwitchableSink(std::shared_ptr<socketchat::EventSink> sink) : sink_(std::move(sink)) {}

  // Safe from any thread; takes effect at the next event or flush.
  void switch_to(std::shared_ptr<socketchat::EventSink> sink) {
    std::lock_guard lock(mutex_);
    next_ = std::move(sink);
  }

  void on_event(const socketchat::Event& event) noexcept override { current().on_event(event); }
  void flush() noexcept override { current().flush(); }

 private:
  socketchat::EventSink& current() noexcept {
    std::shared_ptr<socketchat::EventSink> next;
    {
      std::lock_guard lock(mutex_);
      next = std::move(next_);
    }
    if (next) {
      sink_->flush();
      sink_ = std::move(next);
    }
    return *sink_;
  }

  std::mutex mutex_;
  std::shared_ptr<socketchat::EventSink> next_;  // guarded by mutex_
  std::shared_ptr<socketchat::EventSink> sink_;  // only the delivering thread touches it
};

}  // namespace socketchatd
