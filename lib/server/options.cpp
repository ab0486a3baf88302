#include "socketchat/options.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "server/option_table.hpp"
#include "socketchat/error.hpp"

namespace socketchat {

bool is_bearer_token(std::string_view token) noexcept {
  // RFC 6750's b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
  std::size_t end = token.find_last_not_of('=');
  if (end == std::string_view::npos || token.size() > 256) return false;
  return std::all_of(
      token.begin(), token.begin() + static_cast<std::ptrdiff_t>(end) + 1, [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::string_view("-._~+/").find(c) != std::string_view::npos;
      });
}

ServerOptions& ServerOptions::listen(std::string url) {
  listeners.push_back(std::move(url));
  return *this;
}

void ServerOptions::validate() const {
  for (const auto& option : detail::option_table()) {
    if (auto problem = option.problem(*this, option.name); !problem.empty()) {
      throw config_error(fmt::format("invalid setting: {}", problem));
    }
  }
}

bool needs_restart(std::string_view setting) noexcept {
  auto table = detail::option_table();
  return std::any_of(table.begin(), table.end(), [&](const detail::OptionDescriptor& option) {
    return option.name == setting && option.change == detail::Change::restart;
  });
}

}  // namespace socketchat
