#include "hub/message_id.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace socketchat::detail {

std::optional<MessageId> parse_message_id(std::string_view text) noexcept {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 16) return std::nullopt;
  const std::string_view epoch = text.substr(0, dash), number = text.substr(dash + 1);
  auto epoch_char = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); };
  if (!std::all_of(epoch.begin(), epoch.end(), epoch_char)) return std::nullopt;
  if (number.empty() || number.size() > 19 || number.front() == '0') return std::nullopt;
  if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), n);
  if (error != std::errc{} || end != number.data() + number.size() || n > INT64_MAX) {
    return std::nullopt;
  }
  return MessageId{epoch, n};
}

}  // namespace socketchat::detail
