#include "socketchat/json_sink.hpp"

#include <ostream>

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

}  // namespace

void JsonSink::handle(const Event& e) {
  nlohmann::ordered_json object;
  object["time"] = iso8601(e.time);
  object["event"] = to_string(e.kind);
  object["connection"] = e.connection;
  put(object, "remote", e.remote);
  put(object, "user", e.user);
  const bool room =
      e.kind == EventKind::room_message || e.kind == EventKind::joined || e.kind == EventKind::left;
  put(object, room ? "room" : "to", e.target);
  if (e.kind == EventKind::message || e.kind == EventKind::direct_message ||
      e.kind == EventKind::room_message) {
    object["text"] = e.text;
  } else if (e.kind == EventKind::error) {
    put(object, "text", e.text);  // what failed, how ("3 events dropped: ...")
  }
  put(object, "detail", e.detail);
  if (e.reason) object["reason"] = e.reason.message();
  // Invalid UTF-8 cannot reach here (the protocol refuses it), but never throw for it.
  pending_ += object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  pending_ += '\n';
  if (buffering_ == Buffering::line) flush_buffer();
}

void JsonSink::flush_buffer() {
  if (pending_.empty()) return;
  out_.write(pending_.data(), static_cast<std::streamsize>(pending_.size()));
  out_.flush();
  pending_.clear();
  if (pending_.capacity() > (64 << 10)) pending_.shrink_to_fit();  // a burst leaves no peak
}

}  // namespace socketchat
