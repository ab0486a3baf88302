#pragma once

// How the line protocol travels on a client's TCP connection: as it is (tcp), inside
// TLS (tls), or in WebSocket frames (ws). A Transport only transforms bytes: it turns
// the lines a client sends into what goes on the wire, and what comes off the wire
// back into line-protocol text. The event loop still does every read and write on the
// non-blocking socket, so the scenarios, the line splitter and the checks are the
// same for every transport.
//
// Plain TCP has no Transport at all: the loop reads and writes the socket directly,
// exactly as before transports existed (make_transport returns nullptr for it).

#include <memory>
#include <string>
#include <string_view>

#include "event_loop.hpp"

namespace bench {

class Transport {
 public:
  virtual ~Transport() = default;

  // Right after the TCP connect: what to send first (a TLS ClientHello, an HTTP
  // upgrade request), appended to `wire`.
  virtual void start(std::string& wire) = 0;
  // The handshake is complete: lines can flow both ways.
  virtual bool ready() const noexcept = 0;
  // Appends `lines` (complete lines, each ending in LF) to `wire` as the wire carries
  // them. Only called once ready().
  virtual void encode(std::string_view lines, std::string& wire) = 0;
  // Takes bytes read from the socket. Appends the line-protocol text they carry to
  // `text`, and anything the transport must answer itself (the rest of a handshake,
  // a pong) to `wire`. Returns an empty string, or why the connection must end.
  virtual std::string decode(std::string_view bytes, std::string& text, std::string& wire) = 0;
};

// Makes one Transport per connection; all of a loop's connections share one kind.
class TransportFactory {
 public:
  virtual ~TransportFactory() = default;
  virtual std::unique_ptr<Transport> make() = 0;
};

// "tcp" (nullptr: no layer), "tls" or "ws"; throws Failure on any other name.
// `server` names the Host of a WebSocket upgrade.
std::unique_ptr<TransportFactory> make_transport(std::string_view name, const Endpoint& server);

}  // namespace bench
