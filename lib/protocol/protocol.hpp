#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "protocol/command.hpp"
#include "protocol/flow.hpp"
#include "protocol/server_message.hpp"
#include "util/payload.hpp"

namespace socketchat::detail {

class Protocol;

// Receives what a decoder makes of incoming bytes.
class DecodeHandler {
 public:
  // Flow::stop ends decoding after this command (QUIT, a closing connection, a
  // command the Hub finishes later); Flow::retry before it (it will come again).
  virtual Flow on_command(const Command& command) = 0;
  // An answer the protocol gives by itself, with no Hub involved (IRC's CAP, MODE or
  // AWAY replies): sent in order with the Hub's replies, and rate-limited like a
  // command. Flow as for on_command.
  virtual Flow on_reply(Payload payload) = 0;
  // The input was refused before it became a command (line-too-long, invalid-utf8).
  virtual bool on_decode_error(ReplyError error) = 0;
  // A complete line (or frame) arrived, whatever it held: it counts as activity.
  virtual void on_line() = 0;

 protected:
  ~DecodeHandler() = default;
};

// One connection's decoding state (framing remainder and the like).
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Feeds bytes; calls the handler for each complete unit, in order, until the
  // handler asks to stop. Returns how many bytes it took; the caller feeds the rest
  // again later.
  virtual std::size_t feed(std::string_view bytes, DecodeHandler& handler) = 0;
  // How many bytes are held waiting for the rest of a line.
  virtual std::size_t buffered() const noexcept = 0;
  // The protocol that spells the replies to this connection: the shared one, or
  // (IRC) one that knows the connection's nick and which command is being answered.
  virtual const Protocol& encoder() const noexcept = 0;
};

// A wire protocol: pure and synchronous, no I/O and no locks. It turns bytes into
// Commands and ServerMessages into bytes, so the Hub never sees wire text. The Hub
// encodes a broadcast with any connection's encoder of the right id(), once for all
// of them: what a broadcast looks like must not depend on who receives it.
class Protocol {
 public:
  virtual ~Protocol() = default;
  // A small number unique among the protocols of a server, used to encode a
  // message once per protocol however many recipients share it.
  virtual unsigned id() const noexcept = 0;
  virtual std::unique_ptr<Decoder> make_decoder() const = 0;
  virtual Payload encode(const ServerMessage& message) const = 0;
  // What the server sends an idle client before it gives up on it (IRC's PING); an
  // empty payload closes the idle connection at once, as the line protocol does.
  virtual Payload keepalive_probe() const { return {}; }
};

inline constexpr unsigned max_protocols = 4;

}  // namespace socketchat::detail
