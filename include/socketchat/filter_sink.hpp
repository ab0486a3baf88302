#pragma once

#include <functional>
#include <memory>

#include "socketchat/event_sink.hpp"

namespace socketchat {

// Passes on only the events a predicate keeps, e.g. a log without message texts:
//   std::make_shared<FilterSink>(log, [](const Event& e) {
//     return e.kind != EventKind::message && e.kind != EventKind::direct_message &&
//            e.kind != EventKind::room_message;
//   });
class FilterSink : public EventSink {
 public:
  using Predicate = std::function<bool(const Event&)>;
  FilterSink(std::shared_ptr<EventSink> inner, Predicate keep)
      : inner_(std::move(inner)), keep_(std::move(keep)) {}

  void on_event(const Event& event) noexcept override {
    bool kept = false;
    try {
      kept = keep_(event);
    } catch (...) {  // a predicate that fails keeps the event: better logged than lost
      kept = true;
    }
    if (kept) inner_->on_event(event);
  }
  void flush() noexcept override { inner_->flush(); }

 private:
  std::shared_ptr<EventSink> inner_;
  Predicate keep_;
};

}  // namespace socketchat
