#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "detail/command.hpp"
#include "detail/flow.hpp"
#include "detail/payload.hpp"
#include "detail/server_message.hpp"

namespace socketchat::detail {

// Receives what a decoder makes of incoming bytes.
class DecodeHandler {
 public:
  // Flow::stop ends decoding after this command (QUIT, a closing connection, a
  // command the Hub finishes later); Flow::retry before it (it will come again).
  virtual Flow on_command(const Command& command) = 0;
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
};

// A wire protocol: pure and synchronous, no I/O and no locks. It turns bytes into
// Commands and ServerMessages into bytes, so the Hub never sees wire text.
class Protocol {
 public:
  virtual ~Protocol() = default;
  // A small number unique among the protocols of a server, used to encode a
  // message once per protocol however many recipients share it.
  virtual unsigned id() const noexcept = 0;
  virtual std::unique_ptr<Decoder> make_decoder() const = 0;
  virtual Payload encode(const ServerMessage& message) const = 0;
};

inline constexpr unsigned max_protocols = 4;

}  // namespace socketchat::detail
