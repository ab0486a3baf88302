// RedisConnection against a real redis-server: commands pipelined and answered in
// order, binary-safe words, AUTH and SELECT, publish and subscribe, and the ends a
// connection can come to (refused, timed out, Redis killed, closed from a handler).
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/redis_connection.hpp"
#include "support/redis_server.hpp"
#include "support/redis_test_loop.hpp"

using namespace socketchat::detail;
using namespace socketchat::test;
using namespace std::chrono_literals;

namespace {

using Loop = RedisTestLoop;

RedisAddress unix_address(const RedisServer& redis) {
  return {.unix_path = redis.unix_path()};
}

RedisAddress tcp_address(const RedisServer& redis) {
  return {.host = "127.0.0.1", .port = redis.port()};
}

}  // namespace

TEST_CASE("over a Unix socket and over TCP: replies in order, 10,000 pipelined") {
  RedisServer redis;
  Loop loop;
  for (const auto& address : {unix_address(redis), tcp_address(redis)}) {
    CAPTURE(address.unix_path);
    RedisConnection connection(loop.strand, address, 2s);
    REQUIRE(loop.connect(connection) == "");
    CHECK(connection.connected());
    CHECK(loop.ask(connection, {"SET", "greeting", "hello"}).text == "OK");
    auto got = loop.ask(connection, {"GET", "greeting"});
    CHECK(got.kind == RedisReply::Kind::string);
    CHECK(got.text == "hello");
    CHECK(loop.ask(connection, {"GET", "nothing-here"}).kind == RedisReply::Kind::nil);
    CHECK(loop.ask(connection, {"NO-SUCH-COMMAND"}).kind == RedisReply::Kind::error);

    // All queued before any reply is read: one write, replies in the order sent.
    loop.ask(connection, {"DEL", "counter"});
    std::vector<std::int64_t> replies;
    for (int i = 0; i < 10'000; ++i) {
      REQUIRE(connection.command({"INCR", "counter"},
                                 [&](RedisReply r) { replies.push_back(r.integer); }));
    }
    REQUIRE(loop.run_until([&] { return replies.size() == 10'000; }));
    bool in_order = true;
    for (std::size_t i = 0; i < replies.size(); ++i)
      in_order = in_order && replies[i] == std::int64_t(i + 1);
    CHECK(in_order);
  }
}

TEST_CASE("words are binary-safe") {
  RedisServer redis;
  Loop loop;
  RedisConnection connection(loop.strand, unix_address(redis), 2s);
  REQUIRE(loop.connect(connection) == "");
  const std::string odd("a\0b\r\nc d", 8);
  CHECK(loop.ask(connection, {"SET", "odd key\r\n", odd}).text == "OK");
  CHECK(loop.ask(connection, {"GET", "odd key\r\n"}).text == odd);
}

TEST_CASE("AUTH with the address's password, and SELECT its database") {
  RedisServer redis({"--requirepass", "the-redis-password"});
  Loop loop;
  RedisAddress address = unix_address(redis);
  {
    RedisConnection without(loop.strand, address, 2s);
    const std::string why = loop.connect(without);
    CHECK(why.find("NOAUTH") != std::string::npos);
    CHECK_FALSE(without.connected());
  }
  {
    address.password = "wrong";
    RedisConnection wrong(loop.strand, address, 2s);
    const std::string why = loop.connect(wrong);
    CHECK(why.find("WRONGPASS") != std::string::npos);
    CHECK(why.find("wrong") == std::string::npos);  // never the password
  }
  address.password = "the-redis-password";
  address.database = 3;
  RedisConnection in_three(loop.strand, address, 2s);
  REQUIRE(loop.connect(in_three) == "");
  loop.ask(in_three, {"SET", "where", "three"});
  address.database = 0;
  RedisConnection in_zero(loop.strand, address, 2s);
  REQUIRE(loop.connect(in_zero) == "");
  CHECK(loop.ask(in_zero, {"GET", "where"}).kind == RedisReply::Kind::nil);
  CHECK(loop.ask(in_three, {"GET", "where"}).text == "three");
}

TEST_CASE("nobody there: an error at once, not a hang") {
  Loop loop;
  RedisConnection no_socket(loop.strand, {.unix_path = "/nonexistent/redis.sock"}, 2s);
  CHECK_FALSE(loop.connect(no_socket).empty());
  RedisServer redis;
  const auto port = redis.port();
  redis.stop();
  RedisConnection no_listener(loop.strand, {.host = "127.0.0.1", .port = port}, 2s);
  CHECK_FALSE(loop.connect(no_listener).empty());
  CHECK_FALSE(no_listener.command({"PING"}, [](RedisReply) {}));
}

TEST_CASE("a Redis that does not answer: the connect times out") {
  RedisServer redis;
  redis.pause();  // the kernel still accepts; nothing answers the PING
  Loop loop;
  RedisConnection connection(loop.strand, tcp_address(redis), 300ms);
  const auto started = std::chrono::steady_clock::now();
  CHECK(loop.connect(connection) == "timed out");
  CHECK(std::chrono::steady_clock::now() - started >= 300ms);
  redis.resume();
}

TEST_CASE("published messages reach a subscriber, in the order published") {
  RedisServer redis;
  Loop loop;
  RedisConnection subscriber(loop.strand, unix_address(redis), 2s);
  RedisConnection publisher(loop.strand, unix_address(redis), 2s);
  REQUIRE(loop.connect(subscriber) == "");
  REQUIRE(loop.connect(publisher) == "");
  std::vector<std::string> heard;
  std::optional<std::string> subscribed;
  REQUIRE(subscriber.subscribe(
      "sc:feed",
      [&](std::string_view channel, std::string_view payload) {
        CHECK(channel == "sc:feed");
        heard.emplace_back(payload);
      },
      [&](std::string error) { subscribed = std::move(error); }));
  REQUIRE(loop.run_until([&] { return subscribed.has_value(); }));
  REQUIRE(*subscribed == "");
  for (int i = 0; i < 1000; ++i) {
    publisher.command({"PUBLISH", "sc:feed", "m" + std::to_string(i)}, [](RedisReply) {});
  }
  publisher.command({"PUBLISH", "elsewhere", "not for it"}, [](RedisReply) {});
  REQUIRE(loop.run_until([&] { return heard.size() == 1000; }));
  bool in_order = true;
  for (std::size_t i = 0; i < heard.size(); ++i)
    in_order = in_order && heard[i] == "m" + std::to_string(i);
  CHECK(in_order);
}

TEST_CASE("Redis killed: waiting replies are lost, lost() is called; a restart keeps the data") {
  RedisServer redis;
  Loop loop;
  bool lost = false;
  auto connection = std::make_unique<RedisConnection>(loop.strand, unix_address(redis), 2s);
  REQUIRE(loop.connect(*connection, &lost) == "");
  CHECK(loop.ask(*connection, {"SET", "kept", "acknowledged"}).text == "OK");
  redis.pause();
  std::optional<RedisReply> waiting;
  REQUIRE(connection->command({"GET", "kept"}, [&](RedisReply r) { waiting = std::move(r); }));
  redis.kill();
  REQUIRE(loop.run_until([&] { return waiting.has_value() && lost; }));
  CHECK(waiting->kind == RedisReply::Kind::lost);
  CHECK_FALSE(connection->connected());
  CHECK_FALSE(connection->command({"PING"}, [](RedisReply) {}));

  redis.restart();  // from its append-only file: what was acknowledged is there
  lost = false;
  REQUIRE(loop.connect(*connection, &lost) == "");
  CHECK(loop.ask(*connection, {"GET", "kept"}).text == "acknowledged");
  connection.reset();  // close(): not a loss
  CHECK_FALSE(lost);
}

TEST_CASE("closed from inside a reply handler: the rest are lost, nothing else runs") {
  RedisServer redis;
  Loop loop;
  bool lost = false;
  auto connection = std::make_unique<RedisConnection>(loop.strand, unix_address(redis), 2s);
  REQUIRE(loop.connect(*connection, &lost) == "");
  std::vector<RedisReply::Kind> kinds;
  REQUIRE(connection->command({"PING"}, [&](RedisReply r) {
    kinds.push_back(r.kind);
    connection.reset();  // the connection, freed by its own handler
  }));
  for (int i = 0; i < 3; ++i) {
    REQUIRE(connection->command({"PING"}, [&](RedisReply r) { kinds.push_back(r.kind); }));
  }
  REQUIRE(loop.run_until([&] { return kinds.size() == 4; }));
  CHECK(kinds[0] == RedisReply::Kind::status);
  // Its later replies were read in the same turn or not at all: either way, once each.
  for (std::size_t i = 1; i < kinds.size(); ++i) {
    CHECK((kinds[i] == RedisReply::Kind::status || kinds[i] == RedisReply::Kind::lost));
  }
  loop.io.poll();
  CHECK(kinds.size() == 4);
  CHECK_FALSE(lost);
}
