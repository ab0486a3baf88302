#include "line_dialect.hpp"

namespace bench {

std::string LineDialect::login(std::string_view nick) const {
  return "LOGIN " + std::string(nick) + "\n";
}

void LineDialect::append_feed_message(std::string& out, std::string_view text) const {
  out += "MSG ";
  out += text;
  out += '\n';
}

std::string LineDialect::ping(std::string_view token) const {
  return "PING " + std::string(token) + "\n";
}

// "MSG <user> <text>" is by far the most frequent line, so it is tested first.
Classified LineDialect::classify(std::string_view line) const {
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
