#include "common.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "failure.hpp"

namespace bench {

Endpoint CommonOptions::server() const {
  if (port <= 0 || port > 65535) throw Failure(exit_setup, fmt::format("bad port {}", port));
  in_addr address = parse_ipv4(host);
  // A load generator is aimed at servers on this machine only.
  if ((ntohl(address.s_addr) >> 24) != 127) {
    throw Failure(exit_setup, fmt::format("{} is not a loopback address (127.0.0.0/8)", host));
  }
  return {address, static_cast<std::uint16_t>(port)};
}

std::string CommonOptions::transport_label() const {
  return transport == "tcp" ? std::string() : " transport=" + transport;
}

Deadline::Deadline(double seconds) : end_(now_ns() + static_cast<Nanos>(seconds * 1e9)) {}

void Deadline::check(std::string_view doing) const {
  if (now_ns() > end_) throw Failure(exit_timeout, fmt::format("timed out while {}", doing));
}

}  // namespace bench
