#include "socketchat/log_sink.hpp"

#include <fmt/format.h>

namespace socketchat {

namespace {

// "text" with backslash, double quote and any control byte escaped: whatever a user
// sends, it stays inside its quotes on one line.
std::string in_quotes(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string line_for(const Event& e) {
  switch (e.kind) {
    case EventKind::connect:
      return fmt::format("[CONNECT] new connection from {}\n", e.remote);
    case EventKind::login:
      return fmt::format("[LOGIN] user={}\n", e.user);
    case EventKind::message:
      return fmt::format("[MSG] from={} text={}\n", e.user, in_quotes(e.text));
    case EventKind::direct_message:  // private: its text reaches its recipient only, never a log
      return fmt::format("[DM] from={} to={}\n", e.user, e.target);
    case EventKind::room_message:
      return fmt::format("[SAY] from={} room={} text={}\n", e.user, e.target, in_quotes(e.text));
    case EventKind::joined:
      return fmt::format("[JOIN] user={} room={}\n", e.user, e.target);
    case EventKind::left:
      return fmt::format("[PART] user={} room={}\n", e.user, e.target);
    case EventKind::disconnect:
      return fmt::format("[DISCONNECT] {} disconnected\n", e.user.empty() ? e.remote : e.user);
    case EventKind::error: {
      std::string line = fmt::format("[ERROR] {}", e.detail);
      if (!e.user.empty()) line += fmt::format(" user={}", e.user);
      if (!e.remote.empty()) line += fmt::format(" remote={}", e.remote);
      if (e.reason) line += fmt::format(" reason={}", in_quotes(e.reason.message()));
      if (!e.text.empty()) line += fmt::format(" text={}", in_quotes(e.text));  // what failed, how
      line.push_back('\n');
      return line;
    }
  }
  return {};
}

class LogFormatter final : public EventFormatter {
 public:
  void format(const Event& event, std::string& out) override { out += line_for(event); }
};

}  // namespace

LogSink::LogSink(std::ostream& out, Buffering buffering)
    : StreamSink(out, std::make_unique<LogFormatter>(), buffering) {}

}  // namespace socketchat
