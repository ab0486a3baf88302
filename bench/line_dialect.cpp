#include "line_dialect.hpp"

namespace bench {

std::string LineDialect::login(std::string_view nick) const {
  return "LOGIN " + std::string(nick) + "\n";
}

namespace {
constexpr std::string_view room_prefix = "SAY bench ";
}  // namespace

std::string LineDialect::join_feed() const {
  return feed_ == LineFeed::room ? "JOIN bench\n" : std::string();
}

void LineDialect::append_feed_message(std::string& out, std::string_view text) const {
  out += feed_ == LineFeed::room ? room_prefix : std::string_view("MSG ");
  out += text;
  out += '\n';
}

std::string LineDialect::ping(std::string_view token) const {
  return "PING " + std::string(token) + "\n";
}

// "SAY bench <user> <text>" or "MSG <user> <text>" is by far the most frequent line,
// so it is tested first. The OK to JOIN is told from the OK to LOGIN by the swarm,
// which knows which it waits for.
Classified LineDialect::classify(std::string_view line) const {
  if (line.starts_with(room_prefix)) {
    auto space = line.find(' ', room_prefix.size());
    if (space == std::string_view::npos) return {};
    return {LineKind::feed_text, line.substr(space + 1)};
  }
  if (line.starts_with("MSG ")) {
    auto space = line.find(' ', 4);
    if (space == std::string_view::npos) return {};
    return {LineKind::feed_text, line.substr(space + 1)};
  }
  if (line == "PONG") return {LineKind::pong, {}};
  if (line.starts_with("PONG ")) return {LineKind::pong, line.substr(5)};
  if (line == "OK") return {LineKind::welcome, {}};
  if (line.starts_with("ERR ")) return {LineKind::refused, line.substr(4)};
  return {};
}

}  // namespace bench
