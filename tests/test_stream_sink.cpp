// StreamSink: the writing half of LogSink and JsonSink, with a formatter of one's own.
#include <doctest/doctest.h>

#include <memory>
#include <sstream>
#include <string>

#include "socketchat/stream_sink.hpp"

using namespace socketchat;

namespace {

// Logins only, as "in <user>": the sink writes what the formatter makes, and nothing
// for the events it leaves out.
class LoginsOnly final : public EventFormatter {
 public:
  void format(const Event& event, std::string& out) override {
    if (event.kind == EventKind::login) out += "in " + std::string(event.user) + "\n";
  }
};

Event login(std::string_view user) {
  return {.kind = EventKind::login, .time = {}, .user = user};
}

}  // namespace

TEST_CASE("a StreamSink writes its formatter's lines, at once or a batch at a time") {
  std::ostringstream now, later;
  StreamSink line(now, std::make_unique<LoginsOnly>());
  StreamSink batch(later, std::make_unique<LoginsOnly>(), StreamSink::Buffering::batch);
  for (EventSink* sink : {static_cast<EventSink*>(&line), static_cast<EventSink*>(&batch)}) {
    sink->on_event(login("ann"));
    sink->on_event({.kind = EventKind::connect, .time = {}, .remote = "127.0.0.1:1"});
    sink->on_event(login("bob"));
  }
  CHECK(now.str() == "in ann\nin bob\n");
  CHECK(later.str().empty());  // until the end of the batch
  batch.flush();
  CHECK(later.str() == "in ann\nin bob\n");
}
