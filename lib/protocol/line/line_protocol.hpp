#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "protocol/line_framer.hpp"
#include "socketchat/protocol.hpp"

namespace socketchat::detail {

// The socketchat line protocol of PROTOCOL.md: one command per LF-terminated line.
class LineProtocol final : public Protocol {
 public:
  explicit LineProtocol(std::size_t max_line_bytes);

  std::unique_ptr<Decoder> make_decoder() const override;
  Payload encode(const ServerMessage& message) const override;

  // Turns one complete line (valid UTF-8, no LF) into a command. Views in the result
  // point into `line` or `scratch`.
  static Command parse(std::string_view line, std::string& scratch);

 private:
  std::size_t max_line_bytes_;
  // Replies that never change are made once and shared.
  Payload ok_, help_, inactivity_, shutting_down_, pong_;
  std::array<Payload, static_cast<std::size_t>(last_reply_error) + 1> errors_;

  // The last ROOMS and the last WHO (ServerMessage::list_version): while nothing changes
  // they are the same bytes for everyone (the web client asks for both every 30 s), so
  // they are encoded once per change, not once per asker.
  struct KeptList {
    std::uint64_t version = 0;
    std::size_t max_bytes = 0;
    Payload payload;
  };
  KeptList* kept_slot(const ServerMessage& message) const noexcept;
  mutable std::mutex kept_mutex_;
  mutable std::array<KeptList, 2> kept_;  // room_list, user_list
};

// One connection's side of the line protocol: the framer's remainder.
class LineDecoder final : public Decoder {
 public:
  LineDecoder(const LineProtocol& protocol, std::size_t max_line_bytes)
      : protocol_(protocol), framer_(max_line_bytes) {}

  std::size_t feed(std::string_view bytes, DecodeHandler& handler) override;
  const Protocol& encoder() const noexcept override { return protocol_; }
  // Bytes held waiting for the rest of a line (at most max_line_bytes + 1).
  std::size_t buffered() const noexcept { return framer_.buffered(); }

 private:
  const LineProtocol& protocol_;
  LineFramer framer_;
};

}  // namespace socketchat::detail
