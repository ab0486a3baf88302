// Feeds arbitrary bytes to the HTTP request-head parser under two sets of limits,
// whole and one byte at a time; both must agree. A complete head must hold only what
// the grammar allows, and the upgrade check must answer with one of its statuses.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_request.hpp"

#include "fuzz_support.hpp"

using namespace socketchat;
using namespace socketchat::detail;
using fuzz::require;
using Status = HttpRequestParser::Status;

namespace {

bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

void check_request(const HttpRequest& request, std::size_t max_headers) {
  require(is_token(request.method), "the method is a token");
  require(!request.target.empty() && std::all_of(request.target.begin(), request.target.end(),
                                                 [](char c) { return c > 0x20 && c < 0x7F; }),
          "the target is visible ASCII");
  require(request.version == "HTTP/1.1" || request.version == "HTTP/1.0", "the version is 1.x");
  require(request.headers.size() <= max_headers, "no more headers than allowed");
  for (const auto& [name, value] : request.headers) {
    require(is_token(name), "a header name is a token");
    for (char c : value) {
      auto byte = static_cast<unsigned char>(c);
      require(byte == '\t' || (byte >= 0x20 && byte != 0x7F), "a header value has no controls");
    }
    require(value.empty() || (value.front() != ' ' && value.front() != '\t' &&
                              value.back() != ' ' && value.back() != '\t'),
            "a header value is trimmed");
    require(request.header(name).has_value(), "every header can be looked up");
  }
}

void check_upgrade(const HttpRequest& request) {
  for (const auto& origins :
       {std::vector<std::string>{}, std::vector<std::string>{"https://a.example"}}) {
    UpgradeResult result = validate_upgrade(request, origins);
    require(result.status == 101 || result.status == 400 || result.status == 403 ||
                result.status == 426,
            "an upgrade is answered 101, 400, 403 or 426");
    std::string status_line = "HTTP/1.1 " + std::to_string(result.status) + " ";
    require(result.response.rfind(status_line, 0) == 0, "the response starts with its status");
    require(result.accepted() == result.reason.empty(), "a refusal has a reason");
    if (result.accepted()) {
      auto accept = websocket_accept_key(request);
      require(accept.has_value() && accept->size() == 28, "an accepted key has a 28-byte answer");
      require(result.response.find(*accept) != std::string::npos, "the 101 carries the answer");
    }
  }
}

struct Outcome {
  Status status = Status::incomplete;
  std::size_t consumed = 0;
  HttpRequest request;

  bool operator==(const Outcome& other) const {
    return status == other.status && consumed == other.consumed &&
           request.method == other.request.method && request.target == other.request.target &&
           request.version == other.request.version && request.headers == other.request.headers;
  }
};

Outcome parse(std::string_view bytes, std::size_t max_head, std::size_t max_headers,
              std::size_t piece) {
  HttpRequestParser parser(max_head, max_headers);
  Outcome outcome;
  while (!bytes.empty() && outcome.status == Status::incomplete) {
    std::string_view chunk = bytes.substr(0, piece);
    std::size_t consumed = 0;
    outcome.status = parser.feed(chunk, consumed);
    require(consumed <= chunk.size(), "consumed is within the input");
    require(outcome.status != Status::incomplete || consumed == chunk.size(),
            "an incomplete head takes all it is given");
    outcome.consumed += consumed;
    bytes.remove_prefix(chunk.size());
  }
  require(outcome.consumed <= max_head, "the head is within max_head_bytes");
  if (outcome.status != Status::incomplete) {
    std::size_t again = 1;
    require(parser.feed("more", again) == outcome.status, "a final status stays");
    require(again == 0, "a final parser takes nothing more");
  }
  outcome.request = parser.request();
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  struct Limits {
    std::size_t head, headers;
  };
  for (Limits limits : {Limits{8192, 100}, Limits{200, 4}}) {
    Outcome whole = parse(bytes, limits.head, limits.headers, bytes.size() + 1);
    Outcome bytewise = parse(bytes, limits.head, limits.headers, 1);
    require(whole == bytewise, "byte-by-byte parsing matches whole parsing");
    if (whole.status == Status::complete) {
      require(whole.consumed >= 1 && bytes[whole.consumed - 1] == '\n', "a head ends with its LF");
      check_request(whole.request, limits.headers);
      check_upgrade(whole.request);
    }
  }
  return 0;
}
