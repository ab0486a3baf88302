#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/buffer_release.hpp"
#include "util/thread_scratch.hpp"

namespace socketchat::detail {

// RFC 6455 section 5.2 opcodes; the others are reserved.
enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// RFC 6455 section 7.4.1 close codes. On the wire a code is any 16-bit number, so
// these are constants, not an enum.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  // reported for an empty close; never sent
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// Receives what a WebSocketDecoder makes of a client's bytes. Views are valid only
// during the call.
class WebSocketHandler {
 public:
  // A complete text message (fragments reassembled), valid UTF-8; or a binary one, if
  // the decoder accepts them (accept_binary), as it came. Return false to
  // stop decoding after it: feed() then returns the bytes taken so far.
  virtual bool on_text(std::string_view message) = 0;
  // The caller answers a ping with a pong carrying the same payload (at most 125
  // bytes). Return false to stop decoding after it, as for on_text.
  virtual bool on_ping(std::string_view payload) = 0;
  virtual bool on_pong(std::string_view payload) = 0;
  // The client closed with a valid close frame; an empty one is reported as
  // close_code::no_status. The caller echoes a close frame, then closes.
  virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
  // The client broke the protocol or a limit: the caller sends
  // close_frame(close_code, reason) and closes. Binary messages land here as 1003.
  virtual void on_error(std::uint16_t close_code, std::string_view reason) = 0;

 protected:
  ~WebSocketHandler() = default;
};

// One connection's RFC 6455 decoding state, on the server side: client frames must
// be masked. It holds at most a frame header (14 bytes), one control payload (125
// bytes) and the text message being reassembled (max_message_bytes, unmasked in
// place as it arrives); no frame over max_frame_bytes is ever buffered.
class WebSocketDecoder {
 public:
  WebSocketDecoder(std::size_t max_frame_bytes, std::size_t max_message_bytes);

  // Calls the handler for each complete message, control frame or error, in order.
  // Returns how many bytes it took: all of them, or those up to the end of the frame
  // whose handler returned false (the caller feeds the rest again later). After
  // on_close or on_error the decoder is finished: it takes all bytes and ignores them.
  std::size_t feed(std::string_view bytes, WebSocketHandler& handler);

  bool finished() const noexcept { return finished_; }
  // Binary messages are delivered by on_text from now on, instead of refused (a
  // subprotocol that carries bytes, as IRCv3's binary.ircv3.net).
  void accept_binary() noexcept { accept_binary_ = true; }
  // How many bytes are held: a partial header, a control payload, a partial message.
  std::size_t buffered() const noexcept;

 private:
  enum class Step { more, header_complete, failed };

  Step take_header(std::string_view& bytes, WebSocketHandler& handler);
  bool check_first_bytes(WebSocketHandler& handler);
  bool check_length(WebSocketHandler& handler);
  void take_payload(std::string_view& bytes);
  bool deliver_frame(WebSocketHandler& handler);
  bool deliver_close(WebSocketHandler& handler);
  // Finishes the decoder with on_error; false, so that checks can `return fail(...)`.
  bool fail(WebSocketHandler& handler, std::uint16_t code, std::string_view reason);

  // Fields ordered by size, without padding between them, and as narrow as their
  // values (a connection's size is the server's memory at scale).
  // The limits, in 32 bits: a limit above 4 GiB is taken as 4 GiB.
  std::uint32_t max_frame_bytes_;
  std::uint32_t max_message_bytes_;

  // The frame being read. Its payload is no longer than max_frame_bytes_ once its
  // header is complete (check_length), so its size fits too.
  std::uint32_t payload_size_ = 0;
  std::uint32_t payload_taken_ = 0;
  std::array<unsigned char, 14> header_{};
  std::uint8_t header_size_ = 0;    // bytes of header_ filled
  std::uint8_t header_needed_ = 2;  // its full size, known once the first two bytes are in
  std::array<unsigned char, 4> mask_{};
  Opcode opcode_ = Opcode::continuation;
  // In bits (one connection's decoder is only ever used by one thread at a time).
  bool reading_payload_ : 1 = false;
  bool fin_ : 1 = false;
  bool in_message_ : 1 = false;      // a fragmented message awaits its final frame
  bool binary_message_ : 1 = false;  // the message being read is binary
  bool accept_binary_ : 1 = false;
  bool finished_ : 1 = false;

  // A control frame's payload (at most 125 bytes), kept apart from the message while it
  // arrives: made for the frame and dropped once it is delivered, since most
  // connections never send one (125 bytes each otherwise).
  std::unique_ptr<char[]> control_;
  // The message being reassembled: lent by the thread from its first byte until it is
  // delivered, so that an idle connection holds a null pointer and a thread decoding
  // message after message reuses one buffer (no allocation per message).
  struct MessageBuffer {
    std::string text;
    void clear() noexcept { reset_buffer(text); }
  };
  ThreadScratch<MessageBuffer>::Lease message_;
  std::size_t message_size() const noexcept { return message_ ? message_->text.size() : 0; }
};

// A server frame header (FIN set, never masked) for a payload of payload_size bytes:
// write it, then the payload, as one gather write without copying the payload.
struct FrameHeader {
  std::array<char, 10> bytes{};
  std::size_t size = 0;
  std::string_view view() const noexcept { return {bytes.data(), size}; }
};
FrameHeader frame_header(Opcode opcode, std::uint64_t payload_size) noexcept;
void append_frame_header(std::string& out, Opcode opcode, std::uint64_t payload_size);

// A whole server frame. A control frame's payload is cut to the 125 bytes allowed.
std::string encode_frame(Opcode opcode, std::string_view payload);

// A close frame with `code` and a reason cut to fit (123 bytes, on a UTF-8 character
// boundary). close_code::no_status gives an empty close frame.
std::string close_frame(std::uint16_t code, std::string_view reason = {});

}  // namespace socketchat::detail
