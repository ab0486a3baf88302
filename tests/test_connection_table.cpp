// ConnectionTable: the open connections, their places under the connection limits, and
// the stop of them all (server/connection_table.hpp).

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "hub/hub.hpp"
#include "server/connection_table.hpp"
#include "server/settings.hpp"
#include "server/workers.hpp"
#include "sinks/event_bus.hpp"

using namespace socketchat;
using namespace socketchat::detail;

namespace {

struct FakeConnection final : Connection, std::enable_shared_from_this<FakeConnection> {
  FakeConnection() : Connection(0, "test") {}
  int told_to_stop = 0;
  std::uint32_t slot = no_table_slot;
  void shut_down() override { ++told_to_stop; }
  void write_turn() override {}
  std::uint32_t& table_slot() noexcept override { return slot; }
  // Never logged in: the Hub calls none of these.
  void send(Payload) override {}
  const Protocol& protocol() const noexcept override { std::abort(); }
  std::shared_ptr<Peer> shared_peer() override { return shared_from_this(); }
  void defer(std::function<void()> task) override { task(); }
};

struct Fixture {
  explicit Fixture(ServerOptions options = {}) : settings(std::move(options)) {}
  Settings settings;
  EventBus bus;
  Hub hub{bus};
  Workers workers;  // none: the stop waits for no Hub work
  ConnectionTable table{settings, hub, bus, workers};

  std::shared_ptr<FakeConnection> connect(const std::string& address) {
    auto connection = std::make_shared<FakeConnection>();
    REQUIRE_FALSE(table.admit(address).has_value());
    REQUIRE(table.add(connection, address));
    return connection;
  }
};

}  // namespace

TEST_CASE("ConnectionTable: connections removed in any order; each left is told to stop once") {
  ServerOptions options;
  options.max_connections = 0;
  options.max_connections_per_ip = 0;
  Fixture fixture(options);
  std::vector<std::shared_ptr<FakeConnection>> open;
  for (int i = 0; i < 3000; ++i) open.push_back(fixture.connect("10.0.0." + std::to_string(i % 7)));
  CHECK(fixture.table.connection_count() == 3000);

  std::mt19937 random(15);
  std::shuffle(open.begin(), open.end(), random);
  std::vector<std::shared_ptr<FakeConnection>> gone(open.begin(), open.begin() + 2800);
  open.erase(open.begin(), open.begin() + 2800);
  for (auto& connection : gone) fixture.table.remove(*connection);
  for (auto& connection : gone) fixture.table.remove(*connection);  // twice: nothing more
  CHECK(fixture.table.connection_count() == 200);
  for (auto& connection : gone) CHECK(connection.use_count() == 1);  // the table let go

  bool drained = false;
  fixture.table.shut_down([&] { drained = true; });
  for (auto& connection : gone) CHECK(connection->told_to_stop == 0);
  for (auto& connection : open) CHECK(connection->told_to_stop == 1);
  CHECK_FALSE(drained);
  for (auto& connection : open) fixture.table.remove(*connection);
  CHECK(drained);
  CHECK(fixture.table.connection_count() == 0);
}

TEST_CASE("ConnectionTable: a connection removed gives its address's place back") {
  ServerOptions options;
  options.max_connections_per_ip = 2;
  Fixture fixture(options);
  auto first = fixture.connect("192.0.2.1");
  auto second = fixture.connect("192.0.2.1");
  CHECK(fixture.table.admit("192.0.2.1") == ReplyError::too_many_connections);
  fixture.table.remove(*first);
  CHECK_FALSE(fixture.table.admit("192.0.2.1").has_value());
  fixture.table.release("192.0.2.1");
  fixture.table.remove(*second);
  fixture.table.remove(*first);  // not in it any more: nothing given back twice
  auto third = fixture.connect("192.0.2.1");
  auto fourth = fixture.connect("192.0.2.1");
  CHECK(fixture.table.admit("192.0.2.1") == ReplyError::too_many_connections);
}
