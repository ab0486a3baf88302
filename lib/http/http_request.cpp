#include "http/http_request.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>

#include "util/text.hpp"

namespace socketchat::detail {

namespace {

// RFC 9110 section 5.6.2: the characters of a token (method, header name).
bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
  return specials.find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

// A control byte other than HTAB: never valid anywhere in a request head.
bool is_forbidden_control(char c) noexcept {
  auto byte = static_cast<unsigned char>(c);
  return (byte < 0x20 && c != '\t') || byte == 0x7F;
}

// Origin-form ("/path?query"), asterisk-form ("*") or absolute-form ("scheme://...");
// visible ASCII only, as in a URI.
bool is_request_target(std::string_view target) noexcept {
  if (target.empty()) return false;
  bool visible = std::all_of(target.begin(), target.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte >= 0x21 && byte <= 0x7E;
  });
  if (!visible) return false;
  if (target.front() == '/' || target == "*") return true;
  std::size_t colon = target.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  auto scheme = target.substr(0, colon);
  auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  return is_alpha(scheme.front()) && std::all_of(scheme.begin(), scheme.end(), [&](char c) {
           return is_alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
         });
}

constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// True when key is the padded base64 form of exactly 16 bytes (RFC 6455 section 4.1).
bool is_websocket_key(std::string_view key) noexcept {
  // 16 bytes are 22 base64 characters and "==". Checking the alphabet first matters:
  // EVP_DecodeBlock would otherwise skip surrounding whitespace.
  if (key.size() != 24 || key.substr(22) != "==") return false;
  bool alphabet = std::all_of(key.begin(), key.begin() + 22, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
  if (!alphabet) return false;
  unsigned char decoded[18];
  // It ignores the padding and reports 3 bytes per 4 characters: 18 for 16 real bytes.
  int size = EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(key.data()),
                             static_cast<int>(key.size()));
  return size == 18;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 426:
      return "Upgrade Required";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
  }
  return "Error";
}

std::string error_response(int status, std::string_view reason, std::string_view extra_headers,
                           std::string_view connection) {
  std::string body(reason);
  body += '\n';
  std::string response = "HTTP/1.1 " + std::to_string(status) + ' ';
  response += reason_phrase(status);
  response += "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ";
  response += std::to_string(body.size());
  response += "\r\nConnection: ";
  response += connection;
  response += "\r\n";
  response += extra_headers;
  response += "\r\n";
  response += body;
  return response;
}

UpgradeResult refuse(int status, std::string reason) {
  UpgradeResult result;
  result.status = status;
  result.response = error_response(status, reason, {}, "close");
  result.reason = std::move(reason);
  return result;
}

// RFC 6455 section 4.4 asks for the versions we speak; RFC 9110 has a 426 name the
// protocol to upgrade to in Upgrade, which Connection must then list.
UpgradeResult refuse_version() {
  UpgradeResult result;
  result.status = 426;
  result.reason = "unsupported WebSocket version";
  result.response = error_response(
      426, result.reason, "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n", "Upgrade, close");
  return result;
}

}  // namespace

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (iequals_ascii(field, name)) return std::string_view{value};
  }
  return std::nullopt;
}

std::size_t HttpRequest::header_count(std::string_view name) const {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(),
                    [&](const auto& field) { return iequals_ascii(field.first, name); }));
}

bool HttpRequest::header_has_token(std::string_view name, std::string_view token) const {
  for (const auto& [field, value] : headers) {
    if (!iequals_ascii(field, name)) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      if (iequals_ascii(trim(rest.substr(0, comma)), token)) return true;
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    }
  }
  return false;
}

HttpRequestParser::HttpRequestParser(std::size_t max_head_bytes, std::size_t max_headers)
    : max_head_bytes_(max_head_bytes), max_headers_(max_headers) {}

HttpRequestParser::Status HttpRequestParser::feed(std::string_view bytes, std::size_t& consumed) {
  consumed = 0;
  if (status_ != Status::incomplete) return status_;
  while (consumed < bytes.size()) {
    std::string_view rest = bytes.substr(consumed);
    std::size_t lf = rest.find('\n');
    bool line_complete = lf != std::string_view::npos;
    std::string_view piece = rest.substr(0, lf);
    std::size_t take = piece.size() + (line_complete ? 1 : 0);
    if (take > max_head_bytes_ - head_bytes_) {
      consumed += max_head_bytes_ - head_bytes_;
      return status_ = Status::too_large;
    }
    head_bytes_ += take;
    consumed += take;
    if (!line_complete) {
      partial_.append(piece);
      return status_;
    }
    std::string_view line = piece;
    if (!partial_.empty()) {
      partial_.append(piece);
      line = partial_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF, or a bare LF
    status_ = parse_line(line);
    partial_.clear();
    if (status_ != Status::incomplete) return status_;
  }
  return status_;
}

HttpRequestParser::Status HttpRequestParser::parse_line(std::string_view line) {
  if (std::any_of(line.begin(), line.end(), is_forbidden_control)) return Status::bad_request;
  if (!seen_request_line_) {
    // RFC 9112 section 2.2: empty lines before the request line are ignored.
    if (line.empty()) return Status::incomplete;
    seen_request_line_ = true;
    return parse_request_line(line);
  }
  if (line.empty()) return end_of_head();
  return parse_header(line);
}

HttpRequestParser::Status HttpRequestParser::parse_request_line(std::string_view line) {
  std::size_t first_space = line.find(' ');
  if (first_space == std::string_view::npos) return Status::bad_request;
  std::size_t second_space = line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos) return Status::bad_request;
  auto method = line.substr(0, first_space);
  auto target = line.substr(first_space + 1, second_space - first_space - 1);
  auto version = line.substr(second_space + 1);
  if (!is_token(method) || !is_request_target(target)) return Status::bad_request;
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return Status::bad_request;
  request_.method = method;
  request_.target = target;
  request_.version = version;
  return Status::incomplete;
}

HttpRequestParser::Status HttpRequestParser::parse_header(std::string_view line) {
  // A line starting with whitespace is obs-fold (RFC 9112 section 5.2): refused, as
  // is whitespace between the name and the colon, which is how smuggling starts.
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Status::bad_request;
  auto name = line.substr(0, colon);
  if (!is_token(name)) return Status::bad_request;
  if (request_.headers.size() >= max_headers_) return Status::too_large;
  request_.headers.emplace_back(std::string(name), std::string(trim(line.substr(colon + 1))));
  return Status::incomplete;
}

HttpRequestParser::Status HttpRequestParser::end_of_head() const {
  // RFC 9112 section 3.2: an HTTP/1.1 request has exactly one Host; none is allowed
  // only in HTTP/1.0.
  std::size_t hosts = request_.header_count("Host");
  if (hosts > 1 || (hosts == 0 && request_.version == "HTTP/1.1")) return Status::bad_request;
  return Status::complete;
}

std::optional<std::string> websocket_accept_key(const HttpRequest& request) {
  if (request.header_count("Sec-WebSocket-Key") != 1) return std::nullopt;
  std::string_view key = *request.header("Sec-WebSocket-Key");
  if (!is_websocket_key(key)) return std::nullopt;
  std::string keyed(key);
  keyed += websocket_guid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(keyed.data()), keyed.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];  // and its NUL
  int size = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(size));
}

UpgradeResult validate_upgrade(const HttpRequest& request,
                               const std::vector<std::string>& allowed_origins,
                               std::string_view subprotocol) {
  if (request.method != "GET") return refuse(400, "a WebSocket upgrade must be a GET");
  if (request.version != "HTTP/1.1") return refuse(400, "a WebSocket upgrade needs HTTP/1.1");
  if (request.header_count("Host") != 1) return refuse(400, "exactly one Host header is required");
  if (!request.header_has_token("Upgrade", "websocket")) {
    return refuse(400, "missing Upgrade: websocket");
  }
  if (!request.header_has_token("Connection", "upgrade")) {
    return refuse(400, "missing Connection: Upgrade");
  }
  if (request.header_count("Sec-WebSocket-Version") == 0) {
    return refuse(400, "missing Sec-WebSocket-Version");
  }
  if (request.header_count("Sec-WebSocket-Version") != 1 ||
      *request.header("Sec-WebSocket-Version") != "13") {
    return refuse_version();
  }
  auto accept = websocket_accept_key(request);
  if (!accept) return refuse(400, "Sec-WebSocket-Key must be one base64 value of 16 bytes");
  // The bytes after the head must be WebSocket frames, not a body.
  auto content_length = request.header("Content-Length");
  if (request.header_count("Transfer-Encoding") != 0 ||
      request.header_count("Content-Length") > 1 || (content_length && *content_length != "0")) {
    return refuse(400, "a WebSocket upgrade has no body");
  }
  if (!allowed_origins.empty()) {
    if (request.header_count("Origin") > 1) return refuse(400, "more than one Origin header");
    if (auto origin = request.header("Origin")) {
      bool allowed = std::any_of(allowed_origins.begin(), allowed_origins.end(),
                                 [&](const std::string& a) { return iequals_ascii(a, *origin); });
      if (!allowed) return refuse(403, "origin not allowed");
    }
  }
  UpgradeResult result;
  result.status = 101;
  result.response =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      *accept + "\r\n";
  if (!subprotocol.empty()) {
    result.response += "Sec-WebSocket-Protocol: ";
    result.response += subprotocol;
    result.response += "\r\n";
  }
  result.response += "\r\n";
  return result;
}

std::string http_error_response(int status, std::string_view reason,
                                std::string_view extra_headers) {
  return error_response(status, reason, extra_headers, "close");
}

}  // namespace socketchat::detail
