#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "socketchat/command.hpp"
#include "socketchat/payload.hpp"
#include "socketchat/server_message.hpp"

namespace socketchat {

// A wire protocol, as the server sees it: bytes in become Commands, ServerMessages
// become bytes out. The line protocol and IRC are two; an embedder adds one with
// Server::add_protocol and names it in a listener URL (`?protocol=<name>`).
//
// Threading: a Protocol is shared by every connection that speaks it and must be
// safe to call from any thread (keep it pure: no I/O, no locks on the hot path). A
// Decoder belongs to one connection and is only ever called on that connection's
// strand, one call at a time.

class Protocol;

// What a decoder does after handing over one unit (a line, a command).
enum class Flow {
  next,   // go on
  stop,   // stop after this unit
  retry,  // stop before this unit: it was not taken, and will be fed again
};

// What became of a command handed to DecodeHandler::on_command: how to go on, and
// whether it was refused there and then (the Hub answered it with an error, the rate
// limit stopped it, or the connection is closing), which a decoder that acts on a
// command's success reads here rather than in the replies it encodes (IRC: its
// registration after the LOGIN, the names after a JOIN). A Flow alone: not refused.
// `pending`: the Hub answers later (a LOGIN an Authenticator decides, a HISTORY read);
// the outcome then comes to Decoder::on_settled, before the next bytes are fed.
// `finishes_later`: pending, or a message still being stored while the next commands are
// fed; either way Decoder::on_finished is called once it is done, in the order taken.
struct Handled {
  constexpr Handled(Flow go_on, bool was_refused = false, bool answered_later = false,
                    bool done_later = false) noexcept
      : flow(go_on),
        refused(was_refused),
        pending(answered_later),
        finishes_later(answered_later || done_later) {}
  Flow flow;
  bool refused;
  bool pending;
  bool finishes_later;
};

// Receives what a decoder makes of incoming bytes (the connection's session).
class DecodeHandler {
 public:
  // Flow::stop ends decoding after this command (QUIT, a closing connection, a
  // command the Hub finishes later); Flow::retry before it (it will come again, and
  // nothing happened: `refused` means nothing then).
  virtual Handled on_command(const Command& command) = 0;
  // An answer the protocol gives by itself, with no Hub involved (IRC's CAP, MODE or
  // AWAY replies): sent in order with the Hub's replies, and rate-limited like a
  // command. Flow as for on_command.
  virtual Flow on_reply(Payload payload) = 0;
  // Output the decoder assembled from answers already sent through it (IRC: a labeled
  // response, held until complete): sent as it is, in order, charged to nothing.
  virtual void on_answer(Payload payload) = 0;
  // The input was refused before it became a command (line-too-long, invalid-utf8).
  // False: the connection is closing, stop decoding.
  virtual bool on_decode_error(ReplyError error) = 0;
  // A complete unit (a line, a frame) arrived, whatever it held: it counts as activity.
  virtual void on_line() = 0;
  // The client asked for another form of the protocol or of what it receives (the line
  // protocol's CAPS): the decoder's encoder(), broadcast_encoder() and
  // echoes_own_messages() are to be read again.
  virtual void on_capabilities_changed() {}

 protected:
  ~DecodeHandler() = default;
};

// One connection's side of a protocol: its framing remainder and whatever else it
// must remember (IRC: the nick, the command being answered).
class Decoder {
 public:
  virtual ~Decoder() = default;
  // Feeds bytes; calls the handler for each complete unit, in order, until the
  // handler asks to stop. Returns how many bytes it took; the caller feeds the rest
  // again later. `bytes` and `handler` are valid only during the call: keep what you
  // need of the bytes, and nothing of the handler.
  virtual std::size_t feed(std::string_view bytes, DecodeHandler& handler) = 0;
  // The protocol that spells the replies to this connection: the shared one, or (IRC)
  // one that knows the connection's nick and which command is being answered.
  virtual const Protocol& encoder() const noexcept = 0;
  // What spells the broadcasts to this connection, when not the listener's protocol (a
  // form of it the client asked for: DecodeHandler::on_capabilities_changed); null: that one.
  virtual const Protocol* broadcast_encoder() const noexcept { return nullptr; }
  // The client also receives its own messages (MSG, SAY, DM) once stored, as their
  // recipients do (the line protocol's `CAPS echo`, IRCv3's echo-message).
  virtual bool echoes_own_messages() const noexcept { return false; }
  // The command that was Handled::pending has been answered: refused or not.
  virtual void on_settled(bool /*refused*/) {}
  // Around the Hub's answer to each command that finishes later (Handled::finishes_later),
  // in the order they were taken, on the strand: before it, and after it with whether it
  // was refused; what on_finished returns is sent after the answer (IRC: the end of a
  // labeled response).
  virtual void on_finishing() {}
  virtual Payload on_finished(bool /*refused*/) { return {}; }
  // What the client said of itself besides its name (IRC's USER): fixed before its
  // LOGIN and unchanged after, as other connections' threads read it from then on.
  virtual UserIdentity identity() const noexcept { return {}; }
};

// How the protocol is carried over a WebSocket when a browser asks for it by name in
// Sec-WebSocket-Protocol: one unit (line) per WebSocket message, in text or binary
// frames (IRCv3's text.ircv3.net and binary.ircv3.net).
struct WebSocketSubprotocol {
  std::string name;
  bool binary = false;
};

class Protocol {
 public:
  virtual ~Protocol() = default;
  virtual std::unique_ptr<Decoder> make_decoder() const = 0;
  // The bytes of `message`. A broadcast (message, joined, user_disconnected...) is
  // encoded once for all the connections that speak this protocol and shared: what
  // it looks like must not depend on who receives it. Views in `message` are valid
  // only during the call.
  virtual Payload encode(const ServerMessage& message) const = 0;
  // What the server sends an idle client before it gives up on it (IRC's PING); an
  // empty payload closes the idle connection at once, as the line protocol does.
  virtual Payload keepalive_probe() const { return {}; }
  // The WebSocket subprotocols it answers to on ws:// and wss:// listeners; none: it
  // is reached over WebSocket only as a listener's own protocol.
  virtual std::vector<WebSocketSubprotocol> websocket_subprotocols() const { return {}; }
};

}  // namespace socketchat
