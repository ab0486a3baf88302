#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace socketchat::detail {

// A message's id as clients see it (PROTOCOL.md, Message ids): "<epoch>-<n>".
struct MessageId {
  std::string_view epoch;
  std::uint64_t n = 0;
};

// The id `text` spells: an epoch of 1 to 16 characters of 0-9 a-z, a '-', and n, a whole
// number from 1 to 2^63 - 1 without leading zeros. Nothing for anything else.
std::optional<MessageId> parse_message_id(std::string_view text) noexcept;

}  // namespace socketchat::detail
