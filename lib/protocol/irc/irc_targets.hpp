#pragma once

#include <string_view>

#include "protocol/irc/irc_protocol.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

// "&public", the public feed every IRC user is in (without regard to case).
inline bool is_public(std::string_view target) noexcept {
  return iequals_ascii(target, IrcProtocol::public_channel);
}

// "#general" -> "general"; empty for anything that is not a # channel.
inline std::string_view room_of(std::string_view channel) noexcept {
  return channel.size() > 1 && channel.front() == '#' ? channel.substr(1) : std::string_view{};
}

}  // namespace socketchat::detail
