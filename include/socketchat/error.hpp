#pragma once

#include <stdexcept>
#include <string>
#include <system_error>

namespace socketchat {

// Why a connection ended or a request was refused. On the I/O path these travel as
// std::error_code (category socketchat_category()); they never end the server.
enum class errc {
  closed_by_client = 1,  // QUIT or end of input
  connection_reset,      // the peer vanished mid-stream
  idle_timeout,          // no input for idle_timeout
  login_timeout,         // no LOGIN within login_timeout
  sendq_exceeded,        // a slow reader's queued output passed sendq_bytes
  server_full,           // max_connections reached
  too_many_connections,  // max_connections_per_ip reached
  server_shutdown,       // the server is stopping
  handshake_timeout,     // no TLS handshake or WebSocket upgrade within handshake_timeout
  banned,                // an operator banned the user server-wide
};

const std::error_category& socketchat_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), socketchat_category()};
}

// The single exception type of the library: thrown only while configuring or
// starting a server (a bad setting, an address that cannot be bound).
class config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace socketchat

template <>
struct std::is_error_code_enum<socketchat::errc> : std::true_type {};
