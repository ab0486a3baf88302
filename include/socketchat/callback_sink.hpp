#pragma once

#include <functional>

#include "socketchat/event_sink.hpp"

namespace socketchat {

// Calls a function for each event: the shortest way to observe a server.
//   server.add_sink(std::make_shared<CallbackSink>([](const Event& e) { ... }));
class CallbackSink : public BasicSink {
 public:
  using Callback = std::function<void(const Event&)>;
  explicit CallbackSink(Callback callback) : callback_(std::move(callback)) {}

 protected:
  void handle(const Event& event) override { callback_(event); }

 private:
  Callback callback_;
};

}  // namespace socketchat
