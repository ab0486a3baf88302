#pragma once

// A real Server on loopback for integration tests, started and ready for clients.

#include <cstdint>

#include <socketchat/server.hpp>

namespace socketchat::test {

// Loopback on an ephemeral port; two I/O threads, so that connections sit on different
// threads; no rate limit, since tests send bursts of commands (test_server_limits
// covers it); a short graceful stop.
ServerOptions loopback_options();

// A started server; declared before the clients of a test so it outlives them.
struct RunningServer {
  explicit RunningServer(ServerOptions options = loopback_options());
  Server server;
  std::uint16_t port = 0;
};

}  // namespace socketchat::test
