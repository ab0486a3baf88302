#include "protocol/irc/irc_message.hpp"

namespace socketchat::detail {

namespace {

void skip_spaces(std::string_view& text) noexcept {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
}

std::string_view take_token(std::string_view& text) noexcept {
  std::size_t space = text.find(' ');
  std::string_view token = text.substr(0, space);
  text.remove_prefix(space == std::string_view::npos ? text.size() : space);
  return token;
}

}  // namespace

bool parse_irc_message(std::string_view line, IrcMessage& out) noexcept {
  out = IrcMessage{};
  skip_spaces(line);
  if (!line.empty() && line.front() == '@') {  // tags: we offer none, so ignore any
    take_token(line);
    skip_spaces(line);
  }
  if (!line.empty() && line.front() == ':') {  // a client's own prefix means nothing
    take_token(line);
    skip_spaces(line);
  }
  out.command = take_token(line);
  if (out.command.empty()) return false;
  for (;;) {
    skip_spaces(line);
    if (line.empty()) break;
    if (line.front() == ':' || out.count == IrcMessage::max_params - 1) {
      if (line.front() == ':') line.remove_prefix(1);
      out.params[out.count++] = line;  // the trailing parameter: the rest, spaces and all
      break;
    }
    out.params[out.count++] = take_token(line);
  }
  return true;
}

}  // namespace socketchat::detail
