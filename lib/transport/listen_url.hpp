#pragma once

#include <string>
#include <string_view>

#include <asio/ip/tcp.hpp>

namespace socketchat::detail {

// A listener URL, "<scheme>://<address>[?protocol=<name>]": the scheme names the
// transport (tcp, tls, ws, wss, irc, ircs, or one an embedder registered), the address
// is the transport's to read, and the protocol defaults to the scheme's own (IRC for
// irc:// and ircs://, the line protocol otherwise).
struct ListenUrl {
  std::string text;      // as given, for messages
  std::string scheme;    // lower-case
  std::string address;   // after "://", without the query
  std::string protocol;  // from the query; empty: the scheme's default
};

// Throws config_error for anything without a scheme, or with a query other than
// protocol=<name>.
ListenUrl parse_listen_url(const std::string& url);

// The address of the built-in transports: "host:port", "[v6]:port", with "/path"
// when `takes_path` (WebSocket: defaults to /ws). Throws config_error.
struct TcpAddress {
  asio::ip::tcp::endpoint endpoint;
  std::string path;
};
TcpAddress parse_tcp_address(const ListenUrl& url, bool takes_path);

}  // namespace socketchat::detail
