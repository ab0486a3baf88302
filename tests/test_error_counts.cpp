// Errors counted by their detail for /metrics (ErrorCounts), as the EventBus counts
// every error event it publishes, and as Metrics renders them.
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "server/metrics.hpp"
#include "sinks/error_counts.hpp"
#include "sinks/event_bus.hpp"

using namespace socketchat;
using namespace socketchat::detail;

namespace {

using Counts = std::vector<std::pair<std::string, std::uint64_t>>;

class Recorder final : public EventSink {
 public:
  void on_event(const Event& event) noexcept override { kinds.push_back(event.kind); }
  std::vector<EventKind> kinds;
};

}  // namespace

TEST_CASE("errors are counted by detail, in the order each first came") {
  ErrorCounts errors;
  CHECK(errors.snapshot().empty());
  errors.count("history-write-failed");
  errors.count("tls-handshake-failed");
  errors.count("history-write-failed");
  errors.count("");  // no detail: counted as "other"
  CHECK(errors.snapshot() ==
        Counts{{"history-write-failed", 2}, {"tls-handshake-failed", 1}, {"other", 1}});
}

TEST_CASE("past max_details distinct details, new ones are counted as other") {
  ErrorCounts errors;
  for (std::size_t i = 0; i < 100; ++i) errors.count("detail-" + std::to_string(i));
  errors.count("detail-0");  // one that has its slot keeps it
  const Counts counts = errors.snapshot();
  REQUIRE(counts.size() == ErrorCounts::max_details);
  CHECK(counts.front() == std::pair<std::string, std::uint64_t>{"detail-0", 2});
  CHECK(counts[ErrorCounts::max_details - 2].first ==
        "detail-" + std::to_string(ErrorCounts::max_details - 2));
  CHECK(counts.back() ==
        std::pair<std::string, std::uint64_t>{"other", 100 - (ErrorCounts::max_details - 1)});
}

TEST_CASE("the bus counts every error event it publishes, with sinks or without") {
  EventBus bus;
  Event error{.kind = EventKind::error, .detail = "accept-failed"};
  bus.publish(error);  // no sink yet
  auto recorder = std::make_shared<Recorder>();
  bus.add(recorder);
  Event message{.kind = EventKind::message, .text = "hello"};
  bus.publish(message);
  bus.publish(error);
  CHECK(bus.errors().snapshot() == Counts{{"accept-failed", 2}});
  CHECK(recorder->kinds == std::vector<EventKind>{EventKind::message, EventKind::error});
}

TEST_CASE("/metrics renders the errors by detail, the label quoted") {
  ErrorCounts errors;
  Metrics metrics;
  std::string text = metrics.render({}, errors);
  CHECK(text.find("# TYPE socketchat_errors_total counter\n") != std::string::npos);
  CHECK(text.find("socketchat_errors_total{") == std::string::npos);  // nothing counted yet

  errors.count("history-index-failed");
  errors.count("history-index-failed");
  errors.count("odd\"one\\\n");
  text = metrics.render({}, errors);
  CHECK(text.find("socketchat_errors_total{detail=\"history-index-failed\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("socketchat_errors_total{detail=\"odd\\\"one\\\\\\n\"} 1\n") !=
        std::string::npos);
}
