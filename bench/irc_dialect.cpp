#include "irc_dialect.hpp"

namespace bench {

namespace {

constexpr std::string_view channel = "#bench";

// The last parameter of a message: after " :" if there is one, else the last word.
std::string_view last_param(std::string_view params) {
  if (params.starts_with(':')) return params.substr(1);
  if (auto colon = params.find(" :"); colon != std::string_view::npos) {
    return params.substr(colon + 2);
  }
  auto space = params.rfind(' ');
  return space == std::string_view::npos ? params : params.substr(space + 1);
}

// 4xx and 5xx, except 422 (ERR_NOMOTD), which many servers send as part of a normal
// registration.
bool is_error_numeric(std::string_view command) {
  if (command == "422") return false;
  return command.size() == 3 && (command[0] == '4' || command[0] == '5') && command[1] >= '0' &&
         command[1] <= '9' && command[2] >= '0' && command[2] <= '9';
}

}  // namespace

std::string IrcDialect::login(std::string_view nick) const {
  std::string n(nick);
  return "NICK " + n + "\r\nUSER " + n + " 0 * :" + n + "\r\n";
}

std::string IrcDialect::join_feed() const {
  return "JOIN " + std::string(channel) + "\r\n";
}

void IrcDialect::append_feed_message(std::string& out, std::string_view text) const {
  out += "PRIVMSG ";
  out += channel;
  out += " :";
  out += text;
  out += "\r\n";
}

std::string IrcDialect::ping(std::string_view token) const {
  return "PING " + std::string(token) + "\r\n";
}

std::string IrcDialect::answer_server_ping(std::string_view token) const {
  return "PONG :" + std::string(token) + "\r\n";
}

// [":" prefix " "] command [" " params]
Classified IrcDialect::classify(std::string_view line) const {
  if (line.starts_with(':')) {
    auto space = line.find(' ');
    if (space == std::string_view::npos) return {};
    line.remove_prefix(space + 1);
  }
  auto space = line.find(' ');
  std::string_view command = line.substr(0, space);
  std::string_view params = space == std::string_view::npos ? "" : line.substr(space + 1);

  if (command == "PRIVMSG") {
    auto colon = params.find(" :");
    if (colon == std::string_view::npos) return {};
    return {LineKind::feed_text, params.substr(colon + 2)};
  }
  if (command == "PONG") return {LineKind::pong, last_param(params)};
  if (command == "PING") return {LineKind::server_ping, last_param(params)};
  if (command == "001") return {LineKind::welcome, {}};
  if (command == "366") {
    // "<nick> <channel> :End of /NAMES list.": ours, not another channel's (a server may
    // put a client in channels of its own at registration).
    auto first = params.find(' ');
    std::string_view rest = first == std::string_view::npos ? "" : params.substr(first + 1);
    if (rest.substr(0, rest.find(' ')) == channel) return {LineKind::joined, {}};
    return {};
  }
  if (command == "ERROR" || is_error_numeric(command)) return {LineKind::refused, params};
  return {};
}

}  // namespace bench
