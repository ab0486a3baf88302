#include "common.hpp"

#include <arpa/inet.h>

#include <charconv>

#include <fmt/format.h>

#include "failure.hpp"

namespace bench {

namespace {

Endpoint loopback_endpoint(const std::string& host, int port) {
  if (port <= 0 || port > 65535) throw Failure(exit_setup, fmt::format("bad port {}", port));
  in_addr address = parse_ipv4(host);
  // A load generator is aimed at servers on this machine only.
  if ((ntohl(address.s_addr) >> 24) != 127) {
    throw Failure(exit_setup, fmt::format("{} is not a loopback address (127.0.0.0/8)", host));
  }
  return {address, static_cast<std::uint16_t>(port)};
}

}  // namespace

Endpoint CommonOptions::server() const {
  return loopback_endpoint(host, port);
}

std::vector<Endpoint> CommonOptions::servers() const {
  if (ports.empty()) return {server()};
  std::vector<Endpoint> endpoints;
  for (int each : ports) endpoints.push_back(loopback_endpoint(host, each));
  return endpoints;
}

std::string CommonOptions::transport_label() const {
  return transport == "tcp" ? std::string() : " transport=" + transport;
}

std::string CommonOptions::caps_label() const {
  return caps.empty() ? std::string() : " caps=" + caps;
}

std::vector<in_addr> source_addresses(std::size_t connections, std::size_t per_source) {
  if (per_source == 0) throw Failure(exit_setup, "--per-source must be 1 or more");
  std::size_t count = (connections + per_source - 1) / per_source;
  if (count > 250) throw Failure(exit_setup, "too many source addresses: raise --per-source");
  std::vector<in_addr> sources;
  for (std::size_t i = 0; i < count; ++i) {
    sources.push_back(parse_ipv4(fmt::format("127.0.0.{}", i + 2)));
  }
  return sources;
}

Deadline::Deadline(double seconds) : end_(now_ns() + static_cast<Nanos>(seconds * 1e9)) {}

void Deadline::check(std::string_view doing) const {
  if (now_ns() > end_) throw Failure(exit_timeout, fmt::format("timed out while {}", doing));
}

bool parse_number(std::string_view& text, std::uint64_t& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{}) return false;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  if (!text.empty()) {
    if (text.front() != ' ') return false;
    text.remove_prefix(1);
  }
  return true;
}

}  // namespace bench
