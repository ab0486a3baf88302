#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "sinks/error_counts.hpp"
#include "socketchat/event_sink.hpp"

namespace socketchat::detail {

// The server's sinks. Publishing takes a snapshot, so sinks may be added while the
// server runs, and a sink is never called under any lock of the server. Error events
// are counted too, sinks or none (/metrics).
class EventBus {
 public:
  void add(std::shared_ptr<EventSink> sink);
  void publish(Event& event) noexcept;  // stamps event.time
  const ErrorCounts& errors() const noexcept { return errors_; }

 private:
  using SinkList = std::vector<std::shared_ptr<EventSink>>;
  std::mutex mutex_;
  std::shared_ptr<const SinkList> sinks_ = std::make_shared<const SinkList>();
  ErrorCounts errors_;
};

}  // namespace socketchat::detail
