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
  if (!line.empty() && line.front() == '@') {
    out.tags = take_token(line).substr(1);
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

std::string_view irc_tag(std::string_view tags, std::string_view name) noexcept {
  while (!tags.empty()) {
    const std::size_t end = tags.find(';');
    const std::string_view tag = tags.substr(0, end);
    tags.remove_prefix(end == std::string_view::npos ? tags.size() : end + 1);
    if (tag.size() > name.size() && tag.starts_with(name) && tag[name.size()] == '=') {
      return tag.substr(name.size() + 1);
    }
  }
  return {};
}

}  // namespace socketchat::detail
