#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace socketchat::detail {

// The head of one HTTP/1.x request: what a WebSocket upgrade or a plain GET needs.
struct HttpRequest {
  std::string method;   // a token, as sent (methods are case-sensitive)
  std::string target;   // origin-form ("/chat?x=1"), absolute-form or "*"
  std::string version;  // "HTTP/1.1" or "HTTP/1.0"
  std::vector<std::pair<std::string, std::string>> headers;  // in order; values trimmed

  // The value of the first header of that name (compared without regard to ASCII
  // case), or nothing. The view points into this request.
  std::optional<std::string_view> header(std::string_view name) const;
  // How many headers have that name: a field that must be single can be checked.
  std::size_t header_count(std::string_view name) const;
  // True when any header of that name holds `token` in its comma-separated list
  // (ASCII case-insensitive), e.g. ("Connection", "upgrade") for "keep-alive, Upgrade".
  bool header_has_token(std::string_view name, std::string_view token) const;
};

// An incremental, strict parser of one request head (request line and headers, up to
// the empty line). It holds only the unfinished line, so its memory is bounded by
// max_head_bytes whatever the client sends.
class HttpRequestParser {
 public:
  explicit HttpRequestParser(std::size_t max_head_bytes = 8192, std::size_t max_headers = 100);

  enum class Status {
    incomplete,   // feed more bytes
    complete,     // request() holds the head
    bad_request,  // answer 400 and close
    too_large,    // the head or its header count is over the limit: answer 431 and close
  };

  // Parses bytes. `consumed` is set to how many of them belong to the head: all of
  // them while incomplete; on complete, the bytes after it (pipelined data, or the
  // first WebSocket frames) are not consumed and belong to the caller. Once the
  // status is final, further calls return it again and consume nothing.
  Status feed(std::string_view bytes, std::size_t& consumed);

  const HttpRequest& request() const noexcept { return request_; }

 private:
  Status parse_line(std::string_view line);
  Status parse_request_line(std::string_view line);
  Status parse_header(std::string_view line);
  Status end_of_head() const;

  std::size_t max_head_bytes_;
  std::size_t max_headers_;
  std::size_t head_bytes_ = 0;  // bytes of the head taken so far, line ends included
  std::string partial_;         // the start of a line whose LF has not come yet
  bool seen_request_line_ = false;
  Status status_ = Status::incomplete;
  HttpRequest request_;
};

// The Sec-WebSocket-Accept value for the request's Sec-WebSocket-Key: base64 of the
// SHA-1 of the key and RFC 6455's GUID. Nothing when there is not exactly one key,
// or it is not the base64 form of 16 bytes.
std::optional<std::string> websocket_accept_key(const HttpRequest& request);

// The outcome of checking a WebSocket upgrade request (RFC 6455 section 4.2.1).
struct UpgradeResult {
  int status = 0;        // 101 when accepted; else 400, 403 or 426
  std::string reason;    // why it was refused (for the log and the body); empty on 101
  std::string response;  // the complete response head (and body) to send as is

  bool accepted() const noexcept { return status == 101; }
};

// Checks an upgrade request: GET over HTTP/1.1, one Host, Upgrade: websocket,
// Connection: Upgrade, a valid Sec-WebSocket-Key, Sec-WebSocket-Version: 13 (else
// 426 naming version 13), no body, and an Origin in allowed_origins (empty = any;
// compared without regard to ASCII case; a request without Origin comes from no
// browser and is allowed, since only browsers need protecting from cross-site use).
// `subprotocol`, if not empty, is the Sec-WebSocket-Protocol the response agrees to.
UpgradeResult validate_upgrade(const HttpRequest& request,
                               const std::vector<std::string>& allowed_origins,
                               std::string_view subprotocol = {});

// A complete short error response that closes the connection: status line, a
// text/plain body holding `reason`, and `extra_headers` (each ending in CRLF).
std::string http_error_response(int status, std::string_view reason,
                                std::string_view extra_headers = {});

}  // namespace socketchat::detail
