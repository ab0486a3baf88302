#include "transport/websocket/websocket_frame.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "util/buffer_release.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

constexpr std::size_t max_control_payload = 125;
constexpr std::size_t max_close_reason = max_control_payload - 2;  // after the code

bool is_control(Opcode opcode) noexcept {
  return (static_cast<std::uint8_t>(opcode) & 0x8) != 0;
}

bool is_known_opcode(std::uint8_t opcode) noexcept {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::continuation:
    case Opcode::text:
    case Opcode::binary:
    case Opcode::close:
    case Opcode::ping:
    case Opcode::pong:
      return true;
  }
  return false;
}

// The codes a peer may send (RFC 6455 section 7.4, and 1012-1014 registered with IANA
// since); 1004-1006 and 1015 are reserved for reporting, never for the wire.
bool is_valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

std::uint64_t read_big_endian(const unsigned char* bytes, std::size_t size) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) value = (value << 8) | bytes[i];
  return value;
}

// The byte at payload position p is masked with mask[p % 4].
void unmask(char* data, std::size_t size, const std::array<unsigned char, 4>& mask,
            std::uint64_t payload_offset) noexcept {
  for (std::size_t i = 0; i < size; ++i) {
    data[i] =
        static_cast<char>(static_cast<unsigned char>(data[i]) ^ mask[(payload_offset + i) & 3]);
  }
}

}  // namespace

WebSocketDecoder::WebSocketDecoder(std::size_t max_frame_bytes, std::size_t max_message_bytes)
    : max_frame_bytes_(
          static_cast<std::uint32_t>(std::min<std::size_t>(max_frame_bytes, UINT32_MAX))),
      max_message_bytes_(
          static_cast<std::uint32_t>(std::min<std::size_t>(max_message_bytes, UINT32_MAX))) {}

std::size_t WebSocketDecoder::buffered() const noexcept {
  std::size_t control = reading_payload_ && is_control(opcode_) ? payload_taken_ : 0;
  return header_size_ + control + message_size();
}

std::size_t WebSocketDecoder::feed(std::string_view bytes, WebSocketHandler& handler) {
  const std::size_t total = bytes.size();
  while (!finished_) {
    if (!reading_payload_) {
      if (take_header(bytes, handler) != Step::header_complete) break;
    }
    take_payload(bytes);
    if (payload_taken_ < payload_size_) break;  // the rest of the payload is yet to come
    reading_payload_ = false;
    header_size_ = 0;
    header_needed_ = 2;
    bool keep_going = deliver_frame(handler);
    if (!keep_going && !finished_) return total - bytes.size();
  }
  return total;  // once finished, whatever follows is taken and ignored
}

// Gathers the header across feeds, checking each part as soon as it is in, so that
// a bad frame is refused before any of its payload is read.
WebSocketDecoder::Step WebSocketDecoder::take_header(std::string_view& bytes,
                                                     WebSocketHandler& handler) {
  while (header_size_ < header_needed_) {
    if (bytes.empty()) return Step::more;
    std::size_t n = std::min<std::size_t>(header_needed_ - header_size_, bytes.size());
    std::memcpy(header_.data() + header_size_, bytes.data(), n);
    header_size_ = static_cast<std::uint8_t>(header_size_ + n);
    bytes.remove_prefix(n);
    if (header_size_ == 2 && !check_first_bytes(handler)) return Step::failed;
  }
  if (!check_length(handler)) return Step::failed;
  reading_payload_ = true;
  payload_taken_ = 0;
  return Step::header_complete;
}

bool WebSocketDecoder::check_first_bytes(WebSocketHandler& handler) {
  fin_ = (header_[0] & 0x80) != 0;
  // No extension is ever negotiated, so no RSV bit may be set.
  if ((header_[0] & 0x70) != 0) {
    return fail(handler, close_code::protocol_error, "reserved bits set");
  }
  std::uint8_t opcode = header_[0] & 0x0F;
  if (!is_known_opcode(opcode)) return fail(handler, close_code::protocol_error, "unknown opcode");
  opcode_ = static_cast<Opcode>(opcode);
  if ((header_[1] & 0x80) == 0) {
    return fail(handler, close_code::protocol_error, "client frames must be masked");
  }
  std::uint8_t length7 = header_[1] & 0x7F;
  if (is_control(opcode_)) {
    if (!fin_) return fail(handler, close_code::protocol_error, "fragmented control frame");
    if (length7 > max_control_payload) {
      return fail(handler, close_code::protocol_error, "control frame over 125 bytes");
    }
  } else if (opcode_ == Opcode::continuation) {
    if (!in_message_) {
      return fail(handler, close_code::protocol_error, "continuation without a message");
    }
  } else {
    if (in_message_) {
      return fail(handler, close_code::protocol_error, "new message inside a fragmented one");
    }
    if (opcode_ == Opcode::binary && !accept_binary_) {
      return fail(handler, close_code::unsupported_data, "binary messages are not accepted");
    }
    binary_message_ = opcode_ == Opcode::binary;
  }
  std::size_t extended_length = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
  header_needed_ = static_cast<std::uint8_t>(2 + extended_length + 4);  // and the masking key
  return true;
}

bool WebSocketDecoder::check_length(WebSocketHandler& handler) {
  std::uint8_t length7 = header_[1] & 0x7F;
  std::size_t extended_length = header_needed_ - 6;
  std::uint64_t size = length7;
  if (extended_length == 2) {
    size = read_big_endian(&header_[2], 2);
    if (size < 126) return fail(handler, close_code::protocol_error, "length not minimal");
  } else if (extended_length == 8) {
    size = read_big_endian(&header_[2], 8);
    if (size >> 63) return fail(handler, close_code::protocol_error, "length has its top bit set");
    if (size <= 0xFFFF) return fail(handler, close_code::protocol_error, "length not minimal");
  }
  std::copy_n(&header_[2 + extended_length], 4, mask_.begin());
  if (size > max_frame_bytes_) return fail(handler, close_code::message_too_big, "frame too big");
  if (!is_control(opcode_) && size > max_message_bytes_ - message_size()) {
    return fail(handler, close_code::message_too_big, "message too big");
  }
  payload_size_ = static_cast<std::uint32_t>(size);  // at most max_frame_bytes_
  return true;
}

void WebSocketDecoder::take_payload(std::string_view& bytes) {
  std::size_t n = std::min<std::size_t>(payload_size_ - payload_taken_, bytes.size());
  if (n == 0) return;  // an empty payload, or no bytes yet: memcpy must not see a null source
  char* destination;
  if (is_control(opcode_)) {
    if (!control_) control_ = std::make_unique<char[]>(max_control_payload);
    destination = control_.get() + payload_taken_;
    std::memcpy(destination, bytes.data(), n);
  } else {
    // Capacity grows with the bytes that came, not with the length the header claims.
    if (!message_) message_ = ThreadScratch<MessageBuffer>::borrow();
    std::string& message = message_->text;
    std::size_t old_size = message.size();
    message.append(bytes.substr(0, n));
    destination = message.data() + old_size;
  }
  unmask(destination, n, mask_, payload_taken_);
  payload_taken_ += static_cast<std::uint32_t>(n);
  bytes.remove_prefix(n);
}

bool WebSocketDecoder::deliver_frame(WebSocketHandler& handler) {
  if (is_control(opcode_)) {
    // Dropped after the handler, even if it throws.
    struct DropOnExit {
      std::unique_ptr<char[]>& control;
      ~DropOnExit() { control.reset(); }
    } drop_on_exit{control_};
    std::string_view payload{control_.get(), static_cast<std::size_t>(payload_size_)};
    if (opcode_ == Opcode::ping) return handler.on_ping(payload);
    if (opcode_ == Opcode::pong) return handler.on_pong(payload);
    return deliver_close(handler);
  }
  in_message_ = !fin_;
  if (in_message_) return true;
  // Validating the whole message when it is complete covers characters split
  // across fragments.
  std::string_view message = message_ ? std::string_view(message_->text) : std::string_view{};
  if (!binary_message_ && !is_valid_utf8(message)) {
    return fail(handler, close_code::invalid_payload, "text is not valid UTF-8");
  }
  // Given back even if the handler throws, so the next message starts clean.
  struct GiveBackOnExit {
    ThreadScratch<MessageBuffer>::Lease& message;
    ~GiveBackOnExit() { message.reset(); }
  } give_back_on_exit{message_};
  return handler.on_text(message);
}

bool WebSocketDecoder::deliver_close(WebSocketHandler& handler) {
  std::string_view payload{control_.get(), static_cast<std::size_t>(payload_size_)};
  if (payload.empty()) {
    finished_ = true;
    handler.on_close(close_code::no_status, {});
    return false;
  }
  if (payload.size() == 1) {
    return fail(handler, close_code::protocol_error, "close payload of one byte");
  }
  auto code = static_cast<std::uint16_t>(
      read_big_endian(reinterpret_cast<const unsigned char*>(payload.data()), 2));
  std::string_view reason = payload.substr(2);
  if (!is_valid_close_code(code)) {
    return fail(handler, close_code::protocol_error, "invalid close code");
  }
  if (!is_valid_utf8(reason)) {
    return fail(handler, close_code::invalid_payload, "close reason is not valid UTF-8");
  }
  finished_ = true;
  handler.on_close(code, reason);
  return false;
}

bool WebSocketDecoder::fail(WebSocketHandler& handler, std::uint16_t code,
                            std::string_view reason) {
  finished_ = true;
  in_message_ = false;
  header_size_ = 0;
  message_.reset();
  handler.on_error(code, reason);
  return false;
}

FrameHeader frame_header(Opcode opcode, std::uint64_t payload_size) noexcept {
  FrameHeader header;
  header.bytes[0] = static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode));  // FIN
  std::size_t extended_length;
  if (payload_size < 126) {
    header.bytes[1] = static_cast<char>(payload_size);
    extended_length = 0;
  } else if (payload_size <= 0xFFFF) {
    header.bytes[1] = 126;
    extended_length = 2;
  } else {
    header.bytes[1] = 127;
    extended_length = 8;
  }
  for (std::size_t i = 0; i < extended_length; ++i) {
    header.bytes[2 + i] =
        static_cast<char>((payload_size >> (8 * (extended_length - 1 - i))) & 0xFF);
  }
  header.size = 2 + extended_length;
  return header;
}

void append_frame_header(std::string& out, Opcode opcode, std::uint64_t payload_size) {
  out += frame_header(opcode, payload_size).view();
}

std::string encode_frame(Opcode opcode, std::string_view payload) {
  if (is_control(opcode)) payload = payload.substr(0, max_control_payload);
  FrameHeader header = frame_header(opcode, payload.size());
  std::string frame;
  frame.reserve(header.size + payload.size());
  frame += header.view();
  frame += payload;
  return frame;
}

std::string close_frame(std::uint16_t code, std::string_view reason) {
  if (code == close_code::no_status) return encode_frame(Opcode::close, {});
  if (reason.size() > max_close_reason) {
    std::size_t cut = max_close_reason;
    // Back up to the first byte of the character the cut would split.
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  std::string payload;
  payload.reserve(2 + reason.size());
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xFF);
  payload += reason;
  return encode_frame(Opcode::close, payload);
}

}  // namespace socketchat::detail
