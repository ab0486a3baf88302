// What the HTTP side of a WebSocket listener serves: the browser client, /healthz,
// /metrics (behind a bearer token when metrics_token is set). Anything else is 404;
// the listener answers and closes (no keep-alive).
#include <algorithm>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fmt/format.h>

#include "http/web_assets.hpp"
#include "hub/hub.hpp"
#include "server/connection_table.hpp"
#include "server/metrics.hpp"
#include "server/settings.hpp"
#include "session/session_context.hpp"
#include "socketchat/async_sink.hpp"
#include "transport/websocket/websocket_link.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::string ok_response(std::string_view content_type, std::string_view body) {
  return fmt::format(
      "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n"
      "Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n{}",
      content_type, body.size(), body);
}

bool equal_ignoring_ascii_case(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [&](char x, char y) { return lower(x) == lower(y); });
}

// Whether the request carries "Authorization: Bearer <token>" (one such header). The
// comparison takes as long wherever the tokens differ and whatever their lengths: both
// are hashed, and the digests compared in constant time.
bool has_bearer_token(const HttpRequest& request, std::string_view token) {
  constexpr std::string_view scheme = "Bearer ";
  auto value = request.header("Authorization");
  if (!value || request.header_count("Authorization") != 1 || value->size() <= scheme.size() ||
      !equal_ignoring_ascii_case(value->substr(0, scheme.size()), scheme)) {
    return false;
  }
  std::string_view given = value->substr(scheme.size());
  unsigned char given_digest[SHA256_DIGEST_LENGTH], token_digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), given_digest);
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), token_digest);
  return CRYPTO_memcmp(given_digest, token_digest, SHA256_DIGEST_LENGTH) == 0;
}

std::string unauthorized_response() {
  constexpr std::string_view body = "a bearer token is needed\n";
  return fmt::format(
      "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Length: {}\r\nWWW-Authenticate: Bearer realm=\"socketchat metrics\"\r\n"
      "Cache-Control: no-store\r\nConnection: close\r\n\r\n{}",
      body.size(), body);
}

}  // namespace

bool websocket_path_matches(std::string_view target, std::string_view path) {
  return path_of(target) == path;
}

std::string http_response_for(const SessionContext& sessions, const HttpRequest& request) {
  if (request.method != "GET")
    return http_error_response(405, "only GET is served", "Allow: GET\r\n");
  std::string_view path = path_of(request.target);
  if (path == "/healthz") {
    if (sessions.connections.stopping()) return http_error_response(503, "shutting down");
    return ok_response("text/plain; charset=utf-8", "ok\n");
  }
  if (path == "/metrics") {
    const std::string& token = sessions.settings.options().metrics_token;  // may change on a reload
    if (!token.empty() && !has_bearer_token(request, token)) return unauthorized_response();
    const Metrics::Elsewhere figures{.users = sessions.hub.user_count(),
                                     .sink_events_dropped = AsyncSink::dropped_in_process(),
                                     .history_backlog = sessions.hub.history_backlog()};
    return ok_response("text/plain; version=0.0.4; charset=utf-8",
                       sessions.metrics.render(figures, sessions.bus.errors()));
  }
  if (const WebAsset* asset = find_web_asset(path))
    return ok_response(asset->content_type, asset->body);
  return http_error_response(404, "not found");
}

// These read the settings in effect (a reload may change them, see Settings::options()).
const std::vector<std::string>& websocket_allowed_origins(const SessionContext& sessions) {
  return sessions.settings.options().websocket_allowed_origins;
}
std::size_t websocket_max_frame_bytes(const SessionContext& sessions) {
  return sessions.settings.options().websocket_max_frame_bytes;
}
std::size_t websocket_max_message_bytes(const SessionContext& sessions) {
  return sessions.settings.options().websocket_max_message_bytes;
}

const Protocols::Subprotocol* websocket_subprotocol(const Protocols& protocols,
                                                    const HttpRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (!iequals_ascii(name, "Sec-WebSocket-Protocol")) continue;
    std::string_view offered = value;
    while (!offered.empty()) {
      std::size_t comma = offered.find(',');
      std::string_view token = trim(offered.substr(0, comma));
      offered.remove_prefix(comma == std::string_view::npos ? offered.size() : comma + 1);
      if (auto* subprotocol = protocols.find_subprotocol(token)) return subprotocol;
    }
  }
  return nullptr;
}

}  // namespace socketchat::detail
