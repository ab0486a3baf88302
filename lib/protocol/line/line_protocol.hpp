#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "protocol/line_framer.hpp"
#include "socketchat/protocol.hpp"

namespace socketchat::detail {

// The socketchat line protocol of PROTOCOL.md: one command per LF-terminated line. It
// has a second form, for clients that asked for message ids (`CAPS ids`): the protocol
// registered owns it, and each spells a broadcast once for all the clients of its form.
class LineProtocol final : public Protocol {
 public:
  explicit LineProtocol(std::size_t max_line_bytes, bool with_ids = false);

  // The form with message ids (itself, if it is that form), and the one without.
  const LineProtocol& with_ids() const noexcept { return with_ids_ ? *this : *ids_form_; }
  const LineProtocol& plain() const noexcept { return *plain_form_; }

  std::unique_ptr<Decoder> make_decoder() const override;
  Payload encode(const ServerMessage& message) const override;

  // Turns one complete line (valid UTF-8, no LF) into a command. Views in the result
  // point into `line` or `scratch`.
  static Command parse(std::string_view line, std::string& scratch);

 private:
  std::size_t max_line_bytes_;
  bool with_ids_;
  const LineProtocol* plain_form_;
  std::unique_ptr<LineProtocol> ids_form_;  // made by the plain form
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
      : protocol_(&protocol), framer_(max_line_bytes) {}

  std::size_t feed(std::string_view bytes, DecodeHandler& handler) override;
  const Protocol& encoder() const noexcept override { return *protocol_; }
  const Protocol* broadcast_encoder() const noexcept override { return protocol_; }
  bool echoes_own_messages() const noexcept override { return echo_; }
  // Bytes held waiting for the rest of a line (at most max_line_bytes + 1).
  std::size_t buffered() const noexcept { return framer_.buffered(); }

 private:
  // CAPS: the capabilities asked for, answered by itself. Flow as DecodeHandler's.
  Flow caps(std::string_view asked, DecodeHandler& handler);

  const LineProtocol* protocol_;  // the form this client asked for
  LineFramer framer_;
  bool echo_ = false;  // CAPS echo
};

}  // namespace socketchat::detail
