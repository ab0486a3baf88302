#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace socketchat::detail {

// One IRC message as a client sends it (RFC 2812 section 2.3.1, and IRCv3 message
// tags): [@tags] [:prefix] COMMAND [params] [:trailing]. Views point into the line.
struct IrcMessage {
  static constexpr std::size_t max_params = 15;

  std::string_view tags;     // without the '@': "a=1;+b;c=x\\sy", as sent
  std::string_view command;  // as sent: compare without regard to case
  std::array<std::string_view, max_params> params{};
  std::size_t count = 0;

  std::string_view param(std::size_t i) const noexcept {
    return i < count ? params[i] : std::string_view{};
  }
};

// Parses one line (no CR LF). False when it holds no command.
bool parse_irc_message(std::string_view line, IrcMessage& out) noexcept;

// The value of the tag `name` in `tags` (IrcMessage::tags), as sent (escaped); empty when
// it is missing or has no value.
std::string_view irc_tag(std::string_view tags, std::string_view name) noexcept;

}  // namespace socketchat::detail
