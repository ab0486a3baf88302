// ClusterPresence against a real redis-server: two nodes (two connections, as two
// socketchatd would have) claim names; one wins a name, in any case; a node that dies
// has its names and rooms freed and its users' departures published once its lease
// runs out; a node whose lease has lapsed claims nothing; joins and parts are kept and
// published; a snapshot shows the world.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_presence.hpp"
#include "support/redis_server.hpp"
#include "support/redis_test_loop.hpp"

using namespace socketchat::detail;
using namespace socketchat::test;
using namespace std::chrono_literals;

namespace {

using Claim = ClusterPresence::Claim;

// A node as far as names go: its connection and its ClusterPresence, started.
struct Node {
  Node(RedisTestLoop& on, const RedisServer& redis, std::string id,
       std::chrono::milliseconds lease = 5s)
      : loop(on), connection(on.strand, {.unix_path = redis.unix_path()}, 2s) {
    REQUIRE(loop.connect(connection) == "");
    names = std::make_unique<ClusterPresence>(connection, std::move(id), lease);
    std::optional<std::string> started;
    names->start([&](std::string error) { started = std::move(error); });
    REQUIRE(loop.run_until([&] { return started.has_value(); }));
    REQUIRE(*started == "");
  }

  void release(std::string_view name) {
    std::optional<std::string> done;
    names->release(name, [&](std::string error) { done = std::move(error); });
    REQUIRE(loop.run_until([&] { return done.has_value(); }));
    CHECK(*done == "");
  }

  Claim claim(std::string_view name) {
    std::optional<Claim> result;
    names->claim(name, [&](Claim c) { result = c; });
    REQUIRE(loop.run_until([&] { return result.has_value(); }));
    return *result;
  }

  void sync() { REQUIRE(loop.ask(connection, {"PING"}).text == "PONG"); }

  RedisTestLoop& loop;
  RedisConnection connection;
  std::unique_ptr<ClusterPresence> names;
};

// What is published on sc:feed, heard by a connection of its own.
struct FeedListener {
  FeedListener(RedisTestLoop& loop, const RedisServer& redis)
      : connection(loop.strand, {.unix_path = redis.unix_path()}, 2s) {
    REQUIRE(loop.connect(connection) == "");
    std::optional<std::string> subscribed;
    REQUIRE(connection.subscribe(
        "sc:feed",
        [this](std::string_view, std::string_view payload) { heard.emplace_back(payload); },
        [&](std::string error) { subscribed = std::move(error); }));
    REQUIRE(loop.run_until([&] { return subscribed.has_value(); }));
    REQUIRE(*subscribed == "");
  }
  std::vector<std::string> departures() const {
    std::vector<std::string> found;
    for (const auto& event : heard) {
      if (event.starts_with("D\t")) found.push_back(event);
    }
    return found;
  }

  RedisConnection connection;
  std::vector<std::string> heard;
};

}  // namespace

TEST_CASE("a name is one node's, without regard to case, until released") {
  RedisServer redis;
  RedisTestLoop loop;
  Node one(loop, redis, "00000000000000a1"), two(loop, redis, "00000000000000a2");
  CHECK(one.claim("Alice") == Claim::claimed);
  CHECK(two.claim("alice") == Claim::taken);
  CHECK(two.claim("ALICE") == Claim::taken);
  CHECK(one.claim("alice") == Claim::taken);  // a second user of one node: the same
  CHECK(two.claim("bob") == Claim::claimed);
  one.release("alice");
  CHECK(two.claim("alice") == Claim::claimed);
  CHECK(loop.ask(one.connection, {"HGET", "sc:users", "alice"}).text == "00000000000000a2 alice");
  two.release("ALICE");  // released in another case: the same name
  CHECK(loop.ask(one.connection, {"HEXISTS", "sc:users", "alice"}).integer == 0);
}

TEST_CASE("two nodes claiming one name at the same moment: exactly one wins") {
  RedisServer redis;
  RedisTestLoop loop;
  Node one(loop, redis, "00000000000000b1"), two(loop, redis, "00000000000000b2");
  for (int round = 0; round < 50; ++round) {
    const std::string name = "name" + std::to_string(round);
    std::optional<Claim> first, second;
    one.names->claim(name, [&](Claim c) { first = c; });
    two.names->claim(name, [&](Claim c) { second = c; });  // both in flight at once
    REQUIRE(loop.run_until([&] { return first && second; }));
    CHECK(((*first == Claim::claimed) != (*second == Claim::claimed)));
    CHECK((*first == Claim::taken || *second == Claim::taken));
  }
}

TEST_CASE("a dead node's names are freed, and its users' departures published, after its lease") {
  RedisServer redis;
  RedisTestLoop loop;
  FeedListener feed(loop, redis);
  auto dying = std::make_unique<Node>(loop, redis, "00000000000000c1", 600ms);
  Node survivor(loop, redis, "00000000000000c2", 600ms);
  REQUIRE(dying->claim("Carol") == Claim::claimed);
  REQUIRE(dying->claim("dave") == Claim::claimed);
  CHECK(survivor.claim("carol") == Claim::taken);
  const auto died = std::chrono::steady_clock::now();
  dying.reset();  // no leave(): its lease is simply not renewed again
  // The survivor's renewals (every 200 ms) reap it once its lease has run out.
  REQUIRE(loop.run_until([&] { return feed.departures().size() == 2; }, 5000ms));
  const auto freed_after = std::chrono::steady_clock::now() - died;
  CHECK(freed_after >= 400ms);  // not before its lease could have run out
  CHECK(freed_after < 1500ms);  // within the lease and one renewal, with room for the machine
  auto departed = feed.departures();
  std::sort(departed.begin(), departed.end());
  CHECK(departed ==
        std::vector<std::string>{"D\t00000000000000c1\tCarol", "D\t00000000000000c1\tdave"});
  CHECK(survivor.claim("carol") == Claim::claimed);
  CHECK(loop.ask(survivor.connection, {"ZSCORE", "sc:nodes", "00000000000000c1"}).kind ==
        RedisReply::Kind::nil);
}

TEST_CASE("a node that leaves frees its names at once; one whose lease lapsed claims nothing") {
  RedisServer redis;
  RedisTestLoop loop;
  FeedListener feed(loop, redis);
  Node leaving(loop, redis, "00000000000000d1");
  REQUIRE(leaving.claim("erin") == Claim::claimed);
  std::optional<std::string> left;
  leaving.names->leave([&](std::string error) { left = std::move(error); });
  REQUIRE(loop.run_until([&] { return left.has_value() && feed.heard.size() == 2; }));
  CHECK(*left == "");
  CHECK(feed.heard ==
        std::vector<std::string>{"A\t00000000000000d1\terin", "D\t00000000000000d1\terin"});
  CHECK(leaving.claim("frank") == Claim::failed);  // no lease: it left
}

TEST_CASE(
    "rooms: joins and parts are kept, published, freed with their user, and in the snapshot") {
  RedisServer redis;
  RedisTestLoop loop;
  FeedListener feed(loop, redis);
  Node one(loop, redis, "00000000000000e1"), two(loop, redis, "00000000000000e2");
  REQUIRE(one.claim("Gina") == Claim::claimed);
  REQUIRE(two.claim("hal") == Claim::claimed);
  // A PING after each change: the replies come in order, so the change is made.
  one.names->join("gina", "lobby", "Lobby");
  one.sync();
  two.names->join("hal", "lobby", "LOBBY");   // the room keeps its first spelling
  two.names->join("gina", "lobby", "Lobby");  // not two's user: nothing
  two.sync();
  one.names->join("gina", "dev", "dev");
  one.names->part("gina", "dev");
  REQUIRE(loop.run_until([&] { return feed.heard.size() == 6; }));
  CHECK(feed.heard == std::vector<std::string>{
                          "A\t00000000000000e1\tGina", "A\t00000000000000e2\thal",
                          "J\t00000000000000e1\tGina\tLobby", "J\t00000000000000e2\thal\tLobby",
                          "J\t00000000000000e1\tGina\tdev", "P\t00000000000000e1\tGina\tdev"});

  std::optional<RedisReply> world;
  one.names->snapshot([&](RedisReply reply) { world = std::move(reply); });
  REQUIRE(loop.run_until([&] { return world.has_value(); }));
  REQUIRE(world->kind == RedisReply::Kind::array);
  REQUIRE(world->elements.size() == 4);              // users, rooms, bans, mutes
  CHECK(world->elements[0].elements.size() == 4);    // two users, key and value each
  REQUIRE(world->elements[1].elements.size() == 1);  // dev went with its last member
  const auto& lobby = world->elements[1].elements[0];
  REQUIRE(lobby.elements.size() == 3);
  CHECK(lobby.elements[0].text == "lobby");
  CHECK(lobby.elements[1].text == "Lobby");
  CHECK(lobby.elements[2].elements.size() == 4);

  one.release("gina");  // leaves its rooms with its name
  CHECK(loop.ask(one.connection, {"HKEYS", "sc:members:lobby"}).elements.size() == 1);
  CHECK(loop.ask(one.connection, {"EXISTS", "sc:user:gina:rooms"}).integer == 0);
  two.release("hal");
  CHECK(loop.ask(one.connection, {"EXISTS", "sc:rooms"}).integer == 0);  // no room is left
}
