#include "sinks/event_bus.hpp"

namespace socketchat::detail {

void EventBus::add(std::shared_ptr<EventSink> sink) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<SinkList>(*sinks_);
  next->push_back(std::move(sink));
  sinks_ = std::move(next);
}

void EventBus::publish(Event& event) noexcept {
  if (event.kind == EventKind::error) errors_.count(event.detail);
  std::shared_ptr<const SinkList> sinks;
  {
    std::lock_guard lock(mutex_);
    if (sinks_->empty()) return;
    sinks = sinks_;
  }
  event.time = std::chrono::system_clock::now();
  for (const auto& sink : *sinks) sink->on_event(event);
}

}  // namespace socketchat::detail
