#include "transport.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "failure.hpp"
#include "tls_transport.hpp"
#include "websocket_transport.hpp"

namespace bench {

namespace {

// socketchatd's ws:// listeners upgrade at this path unless told otherwise.
constexpr std::string_view websocket_path = "/ws";

std::string host_header(const Endpoint& server) {
  char address[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &server.address, address, sizeof address);
  return fmt::format("{}:{}", address, server.port);
}

}  // namespace

std::unique_ptr<TransportFactory> make_transport(std::string_view name, const Endpoint& server) {
  if (name == "tcp") return nullptr;
  if (name == "tls") return make_tls_transport();
  if (name == "ws")
    return make_websocket_transport(host_header(server), std::string(websocket_path));
  throw Failure(exit_setup, fmt::format("unknown transport {} (tcp, tls or ws)", name));
}

}  // namespace bench
