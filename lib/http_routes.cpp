// What the HTTP side of a WebSocket listener serves: the browser client, /healthz,
// /metrics. Anything else is 404; the listener answers and closes (no keep-alive).
#include <fmt/format.h>

#include "detail/core.hpp"
#include "detail/web_assets.hpp"
#include "detail/websocket_link.hpp"
#include "socketchat/async_sink.hpp"

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

}  // namespace

bool websocket_path_matches(std::string_view target, std::string_view path) {
  return path_of(target) == path;
}

std::string http_response_for(Core& core, const HttpRequest& request) {
  if (request.method != "GET")
    return http_error_response(405, "only GET is served", "Allow: GET\r\n");
  std::string_view path = path_of(request.target);
  if (path == "/healthz") {
    if (core.stopping()) return http_error_response(503, "shutting down");
    return ok_response("text/plain; charset=utf-8", "ok\n");
  }
  if (path == "/metrics") {
    return ok_response(
        "text/plain; version=0.0.4; charset=utf-8",
        core.metrics().render(core.hub().user_count(), AsyncSink::dropped_in_process()));
  }
  if (const WebAsset* asset = find_web_asset(path))
    return ok_response(asset->content_type, asset->body);
  return http_error_response(404, "not found");
}

const std::vector<std::string>& websocket_allowed_origins(const Core& core) {
  return core.options().websocket_allowed_origins;
}
std::size_t websocket_max_frame_bytes(const Core& core) {
  return core.options().websocket_max_frame_bytes;
}
std::size_t websocket_max_message_bytes(const Core& core) {
  return core.options().websocket_max_message_bytes;
}

}  // namespace socketchat::detail
