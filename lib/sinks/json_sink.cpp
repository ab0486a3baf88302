#include "socketchat/json_sink.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace socketchat {

namespace {

std::string iso8601(std::chrono::system_clock::time_point time) {
  auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(time);
  auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(ms);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", seconds,
                     static_cast<int>((ms - seconds).count()));
}

void put(nlohmann::ordered_json& object, const char* key, std::string_view value) {
  if (!value.empty()) object[key] = value;
}

// One JSON object a line.
class JsonFormatter final : public EventFormatter {
 public:
  void format(const Event& e, std::string& out) override {
    nlohmann::ordered_json object;
    object["time"] = iso8601(e.time);
    object["event"] = to_string(e.kind);
    object["connection"] = e.connection;
    put(object, "remote", e.remote);
    put(object, "user", e.user);
    const bool room = e.kind == EventKind::room_message || e.kind == EventKind::joined ||
                      e.kind == EventKind::left;
    put(object, room ? "room" : "to", e.target);
    // A DM's text is private: its recipient's only, never a log's.
    if (e.kind == EventKind::message || e.kind == EventKind::room_message) {
      object["text"] = e.text;
    } else if (e.kind == EventKind::error) {
      put(object, "text", e.text);  // what failed, how ("3 events dropped: ...")
    }
    put(object, "detail", e.detail);
    if (e.reason) object["reason"] = e.reason.message();
    // Invalid UTF-8 cannot reach here (the protocol refuses it), but never throw for it.
    out += object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += '\n';
  }
};

}  // namespace

JsonSink::JsonSink(std::ostream& out, Buffering buffering)
    : StreamSink(out, std::make_unique<JsonFormatter>(), buffering) {}

}  // namespace socketchat
