// Feeds arbitrary bytes to the WebSocket decoder under two sets of limits, whole, one
// byte at a time, in uneven pieces, and with a handler that pauses after each message.
// Every way must report the same events, and every event must be one a server may
// act on: a valid text message within its limit, a control payload of at most 125
// bytes, a close with a valid code and reason, or an error with a close code.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "transport/websocket/websocket_frame.hpp"
#include "util/text.hpp"

#include "fuzz_support.hpp"

using namespace socketchat;
using namespace socketchat::detail;
using fuzz::require;

namespace {

bool is_sendable_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999) || code == close_code::no_status;
}

// Records events in one string; checks each as it comes.
struct Recorder final : WebSocketHandler {
  explicit Recorder(std::size_t max_message, bool pause_after_messages)
      : max_message_bytes(max_message), pause(pause_after_messages) {}

  std::size_t max_message_bytes;
  bool pause;
  bool finished = false;
  std::string events;

  void record(char kind, std::string_view payload) {
    require(!finished, "no event after a close or an error");
    events += kind;
    events += std::to_string(payload.size());
    events += ':';
    events += payload;
  }
  bool on_text(std::string_view message) override {
    require(message.size() <= max_message_bytes, "a message is within max_message_bytes");
    require(is_valid_utf8(message), "a message is valid UTF-8");
    record('T', message);
    return !pause;
  }
  bool on_ping(std::string_view payload) override {
    require(payload.size() <= 125, "a ping payload is at most 125 bytes");
    record('P', payload);
    return !pause;
  }
  bool on_pong(std::string_view payload) override {
    require(payload.size() <= 125, "a pong payload is at most 125 bytes");
    record('O', payload);
    return true;
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    require(is_sendable_close_code(code), "a close code is one a peer may send");
    require(reason.size() <= 123 && is_valid_utf8(reason), "a close reason fits and is UTF-8");
    record('C', std::to_string(code) + " " + std::string(reason));
    finished = true;
  }
  void on_error(std::uint16_t code, std::string_view reason) override {
    require(code == close_code::protocol_error || code == close_code::unsupported_data ||
                code == close_code::invalid_payload || code == close_code::message_too_big,
            "an error carries a close code for it");
    require(!reason.empty() && reason.size() <= 123, "an error reason fits in a close frame");
    record('E', std::to_string(code));
    finished = true;
  }
};

// Decodes `bytes` in pieces of the sizes `next_piece` gives; a paused decoder is fed
// the rest again, as a session would once it has caught up.
template <class NextPiece>
std::string decode(std::string_view bytes, std::size_t max_frame, std::size_t max_message,
                   bool pause, NextPiece next_piece) {
  WebSocketDecoder decoder(max_frame, max_message);
  Recorder recorder(max_message, pause);
  while (!bytes.empty()) {
    std::string_view piece = bytes.substr(0, next_piece());
    std::size_t taken = decoder.feed(piece, recorder);
    require(taken <= piece.size(), "feed takes no more than it is given");
    require(taken > 0 || piece.empty(), "feed makes progress");
    require(pause || taken == piece.size(), "feed takes everything unless the handler pauses");
    require(decoder.buffered() <= 14 + 125 + max_message, "the decoder's memory is bounded");
    require(decoder.finished() == recorder.finished, "finished() follows close and error");
    bytes.remove_prefix(taken);
  }
  return recorder.events;
}

void check_encoders(std::string_view bytes) {
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{bytes.size()}, std::uint64_t{125},
                             std::uint64_t{126}, std::uint64_t{65535}, std::uint64_t{65536}}) {
    FrameHeader header = frame_header(Opcode::text, size);
    require(header.size == (size < 126 ? 2 : size <= 65535 ? 4 : 10), "header size is minimal");
  }
  if (bytes.size() >= 2) {
    auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[0]) << 8) |
                                           static_cast<unsigned char>(bytes[1]));
    std::string frame = close_frame(code, bytes.substr(2));
    require(frame.size() <= 2 + 125, "a close frame is a control frame");
    if (is_valid_utf8(bytes.substr(2))) {
      require(is_valid_utf8(std::string_view(frame).substr(code == close_code::no_status ? 2 : 4)),
              "a cut reason stays valid UTF-8");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  struct Limits {
    std::size_t frame, message;
  };
  for (Limits limits : {Limits{125, 300}, Limits{1 << 16, 1 << 16}}) {
    std::string whole =
        decode(bytes, limits.frame, limits.message, false, [&] { return bytes.size(); });
    std::string bytewise = decode(bytes, limits.frame, limits.message, false, [] { return 1; });
    require(bytewise == whole, "byte-by-byte decoding matches whole decoding");
    std::size_t step = 0;
    std::string uneven =
        decode(bytes, limits.frame, limits.message, false, [&] { return 1 + (step++ * 7) % 13; });
    require(uneven == whole, "decoding in uneven pieces matches whole decoding");
    std::string paused =
        decode(bytes, limits.frame, limits.message, true, [&] { return bytes.size(); });
    require(paused == whole, "pausing after each message and resuming changes nothing");
  }
  check_encoders(bytes);
  return 0;
}
