#include "line_dialect.hpp"

namespace bench {

namespace {

constexpr std::string_view room_prefix = "SAY bench ";
constexpr std::string_view msg_prefix = "MSG ";

// The word of `line` that starts at `at`, and where the next one starts (npos: it
// was the last one).
std::string_view word_at(std::string_view line, std::size_t& at) {
  auto space = line.find(' ', at);
  std::string_view word =
      line.substr(at, space == std::string_view::npos ? std::string_view::npos : space - at);
  at = space == std::string_view::npos ? space : space + 1;
  return word;
}

}  // namespace

std::string LineDialect::login(std::string_view nick) const {
  std::string out = caps_ == LineCaps::ids ? "CAPS ids\n" : "";
  out += "LOGIN ";
  out += nick;
  out += '\n';
  return out;
}

std::string LineDialect::join_feed() const {
  return feed_ == LineFeed::room ? "JOIN bench\n" : std::string();
}

void LineDialect::append_feed_message(std::string& out, std::string_view text) const {
  out += feed_ == LineFeed::room ? room_prefix : msg_prefix;
  out += text;
  out += '\n';
}

std::string LineDialect::ping(std::string_view token) const {
  return "PING " + std::string(token) + "\n";
}

// "SAY bench <user> <text>" or "MSG <user> <text>" (with ids: "SAY bench <id> <unix-ms>
// <user> <text>", "MSG <id> <unix-ms> <user> <text>") is by far the most frequent
// line, so it is tested first. The OK to JOIN is told from the OK to LOGIN by the
// swarm, which knows which it waits for.
Classified LineDialect::classify(std::string_view line) const {
  if (line.starts_with(room_prefix)) return feed_line(line, room_prefix.size());
  if (line.starts_with(msg_prefix)) return feed_line(line, msg_prefix.size());
  if (line == "PONG") return {LineKind::pong, {}};
  if (line.starts_with("PONG ")) return {LineKind::pong, line.substr(5)};
  if (line == "OK") return {LineKind::welcome, {}};
  if (line.starts_with("ERR ")) return {LineKind::refused, line.substr(4)};
  if (line.starts_with("HIST ")) return history_line(line);
  if (line == "END") return {LineKind::list_end, {}};
  if (line.starts_with("GAP ")) return {LineKind::history_gap, line.substr(4)};
  if (line == "CAPS") return {LineKind::caps, {}};
  if (line.starts_with("CAPS ")) return {LineKind::caps, line.substr(5)};
  return {};
}

Classified LineDialect::feed_line(std::string_view line, std::size_t at) const {
  std::string_view id;
  if (caps_ == LineCaps::ids) {
    auto space = line.find(' ', at);
    if (space == std::string_view::npos) return {};
    id = line.substr(at, space - at);
    at = line.find(' ', space + 1);  // past the stamp
    if (at == std::string_view::npos) return {};
    ++at;
  }
  auto space = line.find(' ', at);  // past the sender
  if (space == std::string_view::npos) return {};
  return {LineKind::feed_text, line.substr(space + 1), id};
}

// "HIST <scope> <id> <unix-ms> <user> <text>" (without ids: "HIST <scope> <unix-ms>
// <user> <text>").
Classified LineDialect::history_line(std::string_view line) const {
  std::size_t at = 5;
  word_at(line, at);  // the scope
  std::string_view id;
  if (caps_ == LineCaps::ids && at != std::string_view::npos) id = word_at(line, at);
  if (at != std::string_view::npos) word_at(line, at);  // the stamp
  if (at != std::string_view::npos) word_at(line, at);  // the sender
  if (at == std::string_view::npos) return {};
  return {LineKind::history, line.substr(at), id};
}

}  // namespace bench
