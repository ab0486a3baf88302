// The HTTP request-head parser and the WebSocket upgrade handshake, without sockets.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "http/http_request.hpp"

using namespace socketchat;
using namespace socketchat::detail;
using Status = HttpRequestParser::Status;

namespace {

constexpr std::string_view upgrade_request =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

struct Parsed {
  Status status;
  std::size_t consumed;
  HttpRequest request;
};

Parsed parse(std::string_view bytes, std::size_t max_head_bytes = 8192,
             std::size_t max_headers = 100) {
  HttpRequestParser parser(max_head_bytes, max_headers);
  std::size_t consumed = 0;
  Status status = parser.feed(bytes, consumed);
  return {status, consumed, parser.request()};
}

Status status_of(std::string_view bytes) {
  return parse(bytes).status;
}

// The upgrade request with one header line replaced (or removed, when `with` is empty).
std::string upgrade_with(std::string_view header_name, std::string_view with) {
  std::string text(upgrade_request);
  std::size_t start = text.find(std::string(header_name) + ":");
  REQUIRE(start != std::string::npos);
  std::size_t end = text.find("\r\n", start) + 2;
  text.replace(start, end - start, with.empty() ? std::string() : std::string(with) + "\r\n");
  return text;
}

UpgradeResult upgrade(std::string_view text, const std::vector<std::string>& origins = {}) {
  Parsed parsed = parse(text);
  REQUIRE(parsed.status == Status::complete);
  return validate_upgrade(parsed.request, origins);
}

}  // namespace

TEST_CASE("a WebSocket upgrade request is parsed into method, target, version and headers") {
  Parsed parsed = parse(upgrade_request);
  REQUIRE(parsed.status == Status::complete);
  CHECK(parsed.consumed == upgrade_request.size());
  const HttpRequest& r = parsed.request;
  CHECK(r.method == "GET");
  CHECK(r.target == "/chat");
  CHECK(r.version == "HTTP/1.1");
  CHECK(r.headers.size() == 6);
  CHECK(r.headers[0] == std::pair<std::string, std::string>{"Host", "server.example.com"});
  CHECK(r.header("sec-websocket-key") == "dGhlIHNhbXBsZSBub25jZQ==");  // any case
  CHECK(r.header("HOST") == "server.example.com");
  CHECK_FALSE(r.header("Cookie").has_value());
  CHECK(r.header_count("host") == 1);
}

TEST_CASE("header values are trimmed of spaces and tabs; inner whitespace and obs-text stay") {
  Parsed parsed =
      parse("GET / HTTP/1.1\r\nHost:  \t a  b \t\r\nX-Name:caf\xc3\xa9\r\nX-Empty:\r\n\r\n");
  REQUIRE(parsed.status == Status::complete);
  CHECK(parsed.request.header("Host") == "a  b");
  CHECK(parsed.request.header("X-Name") == "caf\xc3\xa9");
  CHECK(parsed.request.header("X-Empty") == "");
}

TEST_CASE("header_has_token looks through comma-separated lists and repeated headers") {
  Parsed parsed = parse(
      "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive ,  Upgrade\r\n"
      "Accept: a\r\nAccept: text/html, b\r\n\r\n");
  REQUIRE(parsed.status == Status::complete);
  const HttpRequest& r = parsed.request;
  CHECK(r.header_has_token("connection", "upgrade"));
  CHECK(r.header_has_token("Connection", "KEEP-ALIVE"));
  CHECK_FALSE(r.header_has_token("Connection", "close"));
  CHECK_FALSE(r.header_has_token("Connection", "keep"));  // whole tokens only
  CHECK(r.header_has_token("Accept", "text/html"));       // in the second Accept
  CHECK(r.header_count("accept") == 2);
  CHECK(r.header("Accept") == "a");  // the first one
  CHECK_FALSE(r.header_has_token("Upgrade", "websocket"));
}

TEST_CASE("bytes after the head are not consumed: they are the first WebSocket frames") {
  std::string bytes(upgrade_request);
  bytes += "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";  // a masked "Hello"
  Parsed parsed = parse(bytes);
  CHECK(parsed.status == Status::complete);
  CHECK(parsed.consumed == upgrade_request.size());

  // Pipelined requests: the second is for a parser of its own.
  HttpRequestParser parser;
  std::string two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  std::size_t consumed = 0;
  REQUIRE(parser.feed(two, consumed) == Status::complete);
  CHECK(parser.request().target == "/a");
  std::string_view rest = std::string_view(two).substr(consumed);
  CHECK(rest.substr(0, 7) == "GET /b ");
  CHECK(parser.feed(rest, consumed) == Status::complete);  // final: nothing more is taken
  CHECK(consumed == 0);
  HttpRequestParser next;
  REQUIRE(next.feed(rest, consumed) == Status::complete);
  CHECK(consumed == rest.size());
  CHECK(next.request().target == "/b");
  CHECK(next.request().headers.size() == 1);
}

TEST_CASE("fed one byte at a time, the head parses the same and stops at its end") {
  std::string bytes = std::string(upgrade_request) + "XYZ";
  HttpRequestParser parser;
  std::size_t total = 0;
  Status status = Status::incomplete;
  for (char c : bytes) {
    std::size_t consumed = 0;
    status = parser.feed(std::string_view(&c, 1), consumed);
    total += consumed;
    if (status != Status::incomplete) break;
  }
  CHECK(status == Status::complete);
  CHECK(total == upgrade_request.size());
  CHECK(parser.request().headers.size() == 6);
  CHECK(parser.request().header("Origin") == "http://example.com");
}

TEST_CASE("bare LF line ends are tolerated, and empty lines before the request line ignored") {
  Parsed parsed = parse("\r\n\nGET /x?y=1 HTTP/1.1\nHost: h\n\n");
  REQUIRE(parsed.status == Status::complete);
  CHECK(parsed.request.target == "/x?y=1");
  CHECK(parsed.request.header("Host") == "h");
}

TEST_CASE("HTTP/1.0 is accepted, with or without Host; HTTP/1.1 needs exactly one Host") {
  CHECK(status_of("GET / HTTP/1.0\r\n\r\n") == Status::complete);
  CHECK(status_of("GET / HTTP/1.0\r\nHost: h\r\n\r\n") == Status::complete);
  CHECK(status_of("GET / HTTP/1.1\r\n\r\n") == Status::bad_request);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == Status::bad_request);
  CHECK(status_of("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n") == Status::bad_request);
}

TEST_CASE("request targets: origin-form, absolute-form and asterisk") {
  CHECK(status_of("GET http://h/chat HTTP/1.1\r\nHost: h\r\n\r\n") == Status::complete);
  CHECK(status_of("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n") == Status::complete);
  CHECK(status_of("GET chat HTTP/1.1\r\nHost: h\r\n\r\n") == Status::bad_request);
  CHECK(status_of("GET ://x HTTP/1.1\r\nHost: h\r\n\r\n") == Status::bad_request);
  CHECK(status_of("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n") == Status::bad_request);
}

TEST_CASE("a malformed request line is a bad request") {
  for (std::string_view line : {
           "GET /\r\n",                  // no version
           "GET\r\n",                    // method only
           "GET  / HTTP/1.1\r\n",        // two spaces
           "GET / HTTP/1.1 \r\n",        // trailing space
           "GET\t/ HTTP/1.1\r\n",        // a tab is not SP
           " GET / HTTP/1.1\r\n",        // leading space
           "GET / HTTP/2.0\r\n",         // not HTTP/1.x
           "GET / HTTP/1.2\r\n",         //
           "GET / http/1.1\r\n",         // the version is case-sensitive
           "G(T / HTTP/1.1\r\n",         // not a token
           "G\xc3\xa9T / HTTP/1.1\r\n",  //
       }) {
    CAPTURE(line);
    CHECK(status_of(line) == Status::bad_request);
  }
}

TEST_CASE("header lines must be name:value with a token name; obs-fold is refused") {
  for (std::string_view head : {
           "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  continued\r\n\r\n",  // obs-fold
           "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n\tcontinued\r\n\r\n",  // obs-fold
           "GET / HTTP/1.1\r\n Host: h\r\n\r\n",                          // space first
           "GET / HTTP/1.1\r\nHost : h\r\n\r\n",                          // space before colon
           "GET / HTTP/1.1\r\nHost: h\r\nNo colon here\r\n\r\n",          //
           "GET / HTTP/1.1\r\nHost: h\r\n: empty name\r\n\r\n",           //
           "GET / HTTP/1.1\r\nHost: h\r\nX(A): 1\r\n\r\n",                // not a token
           "GET / HTTP/1.1\r\nHost: h\r\nX\xc3\xa9: 1\r\n\r\n",           //
       }) {
    CAPTURE(head);
    CHECK(status_of(head) == Status::bad_request);
  }
}

TEST_CASE("NUL, DEL, a stray CR or any other control byte is a bad request") {
  using namespace std::string_literals;
  CHECK(status_of("GET / HTTP/1.1\r\nHost: h\0x\r\n\r\n"s) == Status::bad_request);
  CHECK(status_of("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n"s) == Status::bad_request);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: h\x7f\r\n\r\n") == Status::bad_request);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: h\x1b[0m\r\n\r\n") == Status::bad_request);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n") == Status::bad_request);
  CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\r\n\r\n") == Status::bad_request);
  // TAB is allowed in values.
  CHECK(status_of("GET / HTTP/1.1\r\nHost: h\r\nX: a\tb\r\n\r\n") == Status::complete);
}

TEST_CASE("garbage is a bad request as soon as its first line ends") {
  using namespace std::string_literals;
  std::string tls_client_hello = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n"s;
  CHECK(status_of(tls_client_hello) == Status::bad_request);
  CHECK(status_of("hello\n") == Status::bad_request);
  CHECK(status_of("SSH-2.0-OpenSSH_9.2\r\n") == Status::bad_request);
  CHECK(status_of("\x81\x85\x37\xfa\x21\x3d\x7f") == Status::incomplete);  // no line end yet
}

TEST_CASE("a head over max_head_bytes is too large, even while its line is still open") {
  auto head_of_size = [](std::size_t size) {
    std::string prefix = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
    std::string suffix = "\r\n\r\n";
    return prefix + std::string(size - prefix.size() - suffix.size(), 'a') + suffix;
  };
  CHECK(parse(head_of_size(1024), 1024).status == Status::complete);
  Parsed over = parse(head_of_size(1025), 1024);
  CHECK(over.status == Status::too_large);
  CHECK(over.consumed <= 1024);

  // A line that never ends is refused once it passes the limit, not buffered forever.
  HttpRequestParser parser(256);
  std::size_t consumed = 0;
  CHECK(parser.feed("GET /" + std::string(200, 'a'), consumed) == Status::incomplete);
  CHECK(parser.feed(std::string(100, 'a'), consumed) == Status::too_large);
  CHECK(parser.feed("\r\n\r\n", consumed) == Status::too_large);
  CHECK(consumed == 0);
}

TEST_CASE("more than max_headers header lines is too large") {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 9; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(parse(head + "\r\n", 8192, 10).status == Status::complete);
  CHECK(parse(head + "X-Too: many\r\n\r\n", 8192, 10).status == Status::too_large);
}

TEST_CASE("RFC 6455 section 1.3: the sample key's accept value") {
  Parsed parsed = parse(upgrade_request);
  CHECK(websocket_accept_key(parsed.request) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("a valid upgrade gets a 101 with the accept key") {
  UpgradeResult result = upgrade(upgrade_request);
  CHECK(result.accepted());
  CHECK(result.status == 101);
  CHECK(result.reason.empty());
  CHECK(result.response ==
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "\r\n");
}

TEST_CASE("Upgrade and Connection are matched as case-insensitive tokens in lists") {
  CHECK(upgrade(upgrade_with("Upgrade", "Upgrade: WebSocket")).accepted());
  CHECK(upgrade(upgrade_with("Connection", "Connection: keep-alive, Upgrade")).accepted());
  CHECK(upgrade(upgrade_with("Connection", "connection: upgrade")).accepted());
}

TEST_CASE("a missing or wrong header is refused with 400 and a reason") {
  for (std::string text : {
           upgrade_with("Upgrade", ""),
           upgrade_with("Upgrade", "Upgrade: h2c"),
           upgrade_with("Connection", ""),
           upgrade_with("Connection", "Connection: keep-alive"),
           upgrade_with("Sec-WebSocket-Key", ""),
           upgrade_with("Sec-WebSocket-Version", ""),
       }) {
    CAPTURE(text);
    UpgradeResult result = upgrade(text);
    CHECK(result.status == 400);
    CHECK_FALSE(result.reason.empty());
    CHECK(result.response.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
    CHECK(result.response.find("Connection: close\r\n") != std::string::npos);
  }
}

TEST_CASE("only GET over HTTP/1.1 can upgrade") {
  std::string post(upgrade_request);
  post.replace(0, 3, "POST");
  CHECK(upgrade(post).status == 400);
  std::string http10(upgrade_request);
  http10.replace(http10.find("HTTP/1.1"), 8, "HTTP/1.0");
  CHECK(upgrade(http10).status == 400);
}

TEST_CASE("an upgrade with a body is refused: what follows the head must be frames") {
  CHECK(upgrade(upgrade_with("Origin", "Content-Length: 5")).status == 400);
  CHECK(upgrade(upgrade_with("Origin", "Transfer-Encoding: chunked")).status == 400);
  CHECK(upgrade(upgrade_with("Origin", "Content-Length: 0")).accepted());
}

TEST_CASE("Sec-WebSocket-Key must be one base64 value of exactly 16 bytes") {
  for (std::string_view key : {
           "",
           "dGhlIHNhbXBsZSBub25jZQ=",    // padding cut short
           "dGhlIHNhbXBsZSBub25jZQ",     // no padding
           "dGhlIHNhbXBsZSBub25jZQ===",  //
           "dGhlIHNhbXBsZSBub25jZXg=",   // 17 bytes
           "dGhlIHNhbXBsZSBub25j",       // 15 bytes
           "dGhlIHNhbXBsZSBub25jZQAA",   // 18 bytes
           "dGhlIHNhbXBs ZSBub25jZQ==",  // whitespace inside
           "dGhlIHNhbXBsZSBub25jZ!==",   // not base64
           "dGhlIHNhbXBsZSBub25j=Q==",   // padding inside
       }) {
    CAPTURE(key);
    std::string text = upgrade_with("Sec-WebSocket-Key", "Sec-WebSocket-Key: " + std::string(key));
    Parsed parsed = parse(text);
    REQUIRE(parsed.status == Status::complete);
    CHECK_FALSE(websocket_accept_key(parsed.request).has_value());
    CHECK(validate_upgrade(parsed.request, {}).status == 400);
  }
  // Two keys, even two valid ones, are refused.
  std::string twice = upgrade_with("Origin", "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==");
  CHECK(upgrade(twice).status == 400);
  // Another valid key: 16 bytes 1..16.
  CHECK(upgrade(upgrade_with("Sec-WebSocket-Key", "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA=="))
            .accepted());
}

TEST_CASE("a version other than 13 gets 426 naming version 13") {
  for (std::string_view version : {"8", "12", "14", "13, 8", "abc"}) {
    CAPTURE(version);
    UpgradeResult result = upgrade(
        upgrade_with("Sec-WebSocket-Version", "Sec-WebSocket-Version: " + std::string(version)));
    CHECK(result.status == 426);
    CHECK(result.response.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0) == 0);
    CHECK(result.response.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
    CHECK(result.response.find("\r\nUpgrade: websocket\r\n") != std::string::npos);
    CHECK(result.response.find("\r\nConnection: Upgrade, close\r\n") != std::string::npos);
  }
}

TEST_CASE("the Origin must be in the allowed list when there is one") {
  CHECK(upgrade(upgrade_request, {}).accepted());  // empty list: any origin
  CHECK(upgrade(upgrade_request, {"https://chat.example", "http://example.com"}).accepted());
  CHECK(upgrade(upgrade_request, {"HTTP://EXAMPLE.COM"}).accepted());  // case-insensitive

  UpgradeResult refused = upgrade(upgrade_request, {"https://chat.example"});
  CHECK(refused.status == 403);
  CHECK(refused.response.rfind("HTTP/1.1 403 Forbidden\r\n", 0) == 0);
  CHECK(upgrade(upgrade_request, {"http://example.com.evil"}).status == 403);
  CHECK(upgrade(upgrade_request, {"http://example"}).status == 403);

  // No Origin: not a browser, so there is no cross-site page to protect against.
  CHECK(upgrade(upgrade_with("Origin", ""), {"https://chat.example"}).accepted());
  std::string two_origins = upgrade_with("Host", "Host: h\r\nOrigin: https://chat.example");
  CHECK(upgrade(two_origins, {"https://chat.example"}).status == 400);
}

TEST_CASE("error responses carry a text body whose length is declared") {
  std::string response = http_error_response(431, "request head too large");
  CHECK(response ==
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Length: 23\r\n"
        "Connection: close\r\n"
        "\r\n"
        "request head too large\n");
  CHECK(http_error_response(404, "no such page", "Cache-Control: no-store\r\n")
            .find("Connection: close\r\nCache-Control: no-store\r\n\r\nno such page\n") !=
        std::string::npos);
}
