// The per-address connection limit as it is by default (16, loopback exempt) and with
// connection_limit_exempt set: real servers on loopback, clients bound to 127.0.0.x.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include <asio/ip/address.hpp>

#include <socketchat/error.hpp>
#include <socketchat/server.hpp>

#include "server/address_range.hpp"
#include "support/line_client.hpp"

using namespace socketchat;
using namespace socketchat::test;
using socketchat::detail::AddressRange;

namespace {

ServerOptions options_with(std::vector<std::string> exempt, std::size_t per_ip = 16) {
  ServerOptions options;
  options.listen("tcp://127.0.0.1:0");
  options.threads = 1;
  options.history = false;
  options.max_connections_per_ip = per_ip;
  options.connection_limit_exempt = std::move(exempt);
  return options;
}

bool in(std::string_view range, std::string_view address) {
  auto parsed = AddressRange::parse(range);
  REQUIRE(parsed);
  return parsed->contains(asio::ip::make_address(std::string(address)));
}

// `count` clients from `from`, each admitted (it answers a PING).
std::vector<LineClient> admitted(std::uint16_t port, std::size_t count, const std::string& from) {
  std::vector<LineClient> clients;
  for (std::size_t i = 0; i < count; ++i) {
    clients.emplace_back(port, ClientOptions{.local_address = from});
    clients.back().expect_quiet();
  }
  return clients;
}

void expect_refused(std::uint16_t port, const std::string& from) {
  LineClient refused(port, ClientOptions{.local_address = from});
  refused.expect_line("ERR too-many-connections");
  refused.expect_eof();
}

}  // namespace

TEST_CASE("address ranges: single addresses, CIDR networks, IPv4 seen through IPv6") {
  CHECK(in("127.0.0.0/8", "127.0.0.1"));
  CHECK(in("127.0.0.0/8", "127.255.3.4"));
  CHECK_FALSE(in("127.0.0.0/8", "128.0.0.1"));
  CHECK(in("::1", "::1"));
  CHECK_FALSE(in("::1", "::2"));
  CHECK(in("10.1.2.3", "10.1.2.3"));
  CHECK_FALSE(in("10.1.2.3", "10.1.2.4"));
  CHECK(in("10.0.0.0/30", "10.0.0.3"));
  CHECK_FALSE(in("10.0.0.0/30", "10.0.0.4"));
  CHECK(in("192.168.1.77/23", "192.168.0.1"));  // host bits in the network are ignored
  CHECK(in("fd00::/8", "fd12:3456::1"));
  CHECK_FALSE(in("fd00::/8", "fe80::1"));
  CHECK(in("0.0.0.0/0", "203.0.113.9"));
  CHECK_FALSE(in("0.0.0.0/0", "2001:db8::1"));   // a v4 network never holds a v6 address
  CHECK(in("127.0.0.0/8", "::ffff:127.0.0.1"));  // a dual-stack listener's IPv4 client
  CHECK(in("::ffff:10.0.0.0/104", "10.9.9.9"));

  for (const char* bad : {"", "localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8x",
                          "10.0.0/8", "/8", "10.0.0.0/-1"}) {
    CAPTURE(bad);
    CHECK_FALSE(AddressRange::parse(bad));
  }
}

TEST_CASE("a setting that is neither an address nor a network is a config_error") {
  CHECK_THROWS_AS(options_with({"127.0.0.0/8", "not-an-address"}).validate(), config_error);
  CHECK_THROWS_AS(options_with({"10.0.0.0/40"}).validate(), config_error);
  CHECK_NOTHROW(options_with({"", "10.0.0.0/8", "fd00::/8", "192.0.2.1"}).validate());
}

TEST_CASE("by default: 16 per address, loopback exempt") {
  ServerOptions options;
  options.listen("tcp://127.0.0.1:0");
  options.threads = 1;
  options.history = false;
  REQUIRE(options.max_connections_per_ip == 16);
  Server server(options);
  server.start();
  auto many = admitted(server.port(), 20, "127.0.0.1");  // more than 16: loopback is exempt
  auto more = admitted(server.port(), 17, "127.0.0.2");
  CHECK(server.connection_count() == 37);
}

TEST_CASE("no exemption: the 17th connection from one address is refused") {
  Server server(options_with({}));
  server.start();
  auto sixteen = admitted(server.port(), 16, "127.0.0.1");
  expect_refused(server.port(), "127.0.0.1");
  auto other = admitted(server.port(), 1, "127.0.0.2");  // the limit is per address
}

TEST_CASE("exempt addresses and networks; the rest keep the limit") {
  Server server(options_with({"127.0.0.2", "127.0.1.0/24"}, 2));
  server.start();
  auto from_1 = admitted(server.port(), 2, "127.0.0.1");
  expect_refused(server.port(), "127.0.0.1");
  auto from_2 = admitted(server.port(), 5, "127.0.0.2");
  auto from_net = admitted(server.port(), 5, "127.0.1.9");
  auto from_3 = admitted(server.port(), 2, "127.0.0.3");
  expect_refused(server.port(), "127.0.0.3");
}

TEST_CASE("an exempt address still counts against max_connections") {
  auto options = options_with({"127.0.0.0/8"}, 1);
  options.max_connections = 3;
  Server server(options);
  server.start();
  auto three = admitted(server.port(), 3, "127.0.0.1");
  LineClient refused(server.port());
  refused.expect_line("ERR server-full");
  refused.expect_eof();
}

TEST_CASE("reconfigure changes the exemptions of new connections") {
  auto options = options_with({}, 1);
  Server server(options);
  server.start();
  auto one = admitted(server.port(), 1, "127.0.0.1");
  expect_refused(server.port(), "127.0.0.1");

  options.connection_limit_exempt = {"127.0.0.1"};
  CHECK(server.reconfigure(options).empty());
  auto more = admitted(server.port(), 3, "127.0.0.1");

  options.connection_limit_exempt = {};
  CHECK(server.reconfigure(options).empty());
  expect_refused(server.port(), "127.0.0.1");
}
