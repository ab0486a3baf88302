#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "socketchat/protocol.hpp"
#include "transport/asio_types.hpp"

namespace asio::ssl {
class context;
}

namespace socketchat::detail {

class Protocols;
struct SessionContext;

// What a built-in link is made with, besides its socket.
struct LinkSetup {
  const SessionContext& sessions;
  const Protocols& protocols;  // ws://, wss://: those a client may ask for by subprotocol
  std::shared_ptr<asio::ssl::context> tls;  // tls://, wss://, ircs://
  std::string path;                         // ws://, wss://: where the upgrade is
};

// The transports built on an accepted TCP socket: tcp, tls, ws, wss (and irc, ircs:
// tcp and tls speaking IRC). One row each in builtin_transports.cpp.
struct BuiltinTransport {
  std::string_view scheme;
  std::string_view protocol;  // spoken unless the URL says ?protocol=
  bool tls;
  bool takes_path;
  // What a connection refused at the connection limits is sent, as this transport
  // carries it: `words` is the protocol's own refusal, `code` its short name.
  std::string (*refusal)(std::string_view words, std::string_view code);
  // Starts a session over a new link on `socket`.
  void (*open)(const LinkSetup& setup, const Protocol& protocol, TcpSocket socket,
               std::string remote, std::string address);
};

// Null for any other scheme.
const BuiltinTransport* find_builtin_transport(std::string_view scheme) noexcept;

}  // namespace socketchat::detail
