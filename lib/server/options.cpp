#include "socketchat/options.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "server/address_range.hpp"
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
  auto fail = [](std::string_view what) {
    throw config_error(fmt::format("invalid setting: {}", what));
  };
  if (idle_timeout.count() < 0) fail("idle_timeout must not be negative");
  if (login_timeout.count() < 0) fail("login_timeout must not be negative");
  if (shutdown_timeout.count() < 0) fail("shutdown_timeout must not be negative");
  if (handshake_timeout.count() <= 0) fail("handshake_timeout must be positive");
  if (max_line_bytes < 16) fail("max_line_bytes must be at least 16");
  if (max_line_bytes > (64u << 20)) fail("max_line_bytes must be at most 64 MiB");
  if (sendq_bytes != 0 && sendq_bytes < max_line_bytes + 64) {
    fail("sendq_bytes must leave room for one full line (max_line_bytes + 64) or be 0");
  }
  if (!std::isfinite(rate_per_second) || rate_per_second < 0) fail("rate_per_second must be >= 0");
  if (rate_per_second > 0 && (!std::isfinite(rate_burst) || rate_burst < 1)) {
    fail("rate_burst must be at least 1 when rate_per_second is set");
  }
  if (threads > 1024) fail("threads must be at most 1024");
  if (max_reply_bytes < 1024) fail("max_reply_bytes must be at least 1024");
  if (history_retention.count() < 0) fail("history_retention must not be negative");
  if (history_prune_interval.count() <= 0) fail("history_prune_interval must be positive");
  if (history_store && !history) fail("history_store is given but history is off");
  if (history_memory_bytes < (64u << 10)) fail("history_memory_bytes must be at least 64 KiB");
  if (websocket_max_frame_bytes < 125 || websocket_max_message_bytes < 125) {
    fail("websocket_max_frame_bytes and websocket_max_message_bytes must be at least 125");
  }
  for (const auto& exempt : connection_limit_exempt) {
    if (!exempt.empty() && !detail::AddressRange::parse(exempt)) {
      fail(fmt::format("connection_limit_exempt: '{}' is not an IP address or CIDR network",
                       exempt));
    }
  }
  if (tls_certificate_file.empty() != tls_private_key_file.empty()) {
    fail("tls_certificate_file and tls_private_key_file go together");
  }
  if (!metrics_token.empty() && !is_bearer_token(metrics_token)) {
    fail("metrics_token must be 1-256 of A-Z a-z 0-9 - . _ ~ + / followed by any '='");
  }
}

}  // namespace socketchat
