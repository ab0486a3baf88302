// RedisHistoryStore against a real redis-server: the HistoryStore contract (newest
// records oldest first, scopes apart, odd bytes exact, prune), one store's history read
// by another (two nodes), and what Redis's failures do to it (down, killed and
// restarted from its append-only file, paused, a password).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <socketchat/error.hpp>
#include <socketchat/redis_history_store.hpp>

#include "cluster/redis_blocking.hpp"
#include "support/history_store_contract.hpp"
#include "support/redis_server.hpp"

// Appends a batch given as a list (append() takes the records to give them their ids).
template <class Store>
void append_all(Store&& store, std::vector<socketchat::HistoryRecord> records) {
  store.append(records);
}

using namespace socketchat;
using namespace socketchat::test;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

HistoryRecord record(std::string scope, std::int64_t ms, std::string from, std::string text) {
  return {
      .scope = std::move(scope), .unix_ms = ms, .from = std::move(from), .text = std::move(text)};
}

std::vector<std::string> texts(const std::vector<HistoryRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.text);
  return out;
}

RedisOptions options_for(const RedisServer& redis) {
  return {.url = "redis+unix://" + redis.unix_path()};
}

}  // namespace

TEST_CASE("latest returns the newest records of a scope, oldest first") {
  RedisServer redis;
  RedisHistoryStore store(options_for(redis));
  CHECK(store.blocking());
  CHECK(store.latest("*", 10).empty());
  append_all(store, {record("*", 1000, "ann", "one"), record("*", 1001, "bob", "two"),
                     record("*", 1002, "ann", "three")});
  append_all(store, {record("*", 1003, "cy", "four"), record("*", 1004, "ann", "five")});
  CHECK(texts(store.latest("*", 3)) == std::vector<std::string>{"three", "four", "five"});
  CHECK(texts(store.latest("*", 50)) ==
        std::vector<std::string>{"one", "two", "three", "four", "five"});
  CHECK(store.latest("*", 0).empty());
  CHECK(store.latest("*", SIZE_MAX).size() == 5);
  auto newest = store.latest("*", 1).at(0);
  CHECK(newest.scope == "*");
  CHECK(newest.unix_ms == 1004);
  CHECK(newest.from == "ann");
  store.append({});
  CHECK(store.latest("*", 50).size() == 5);
}

TEST_CASE("scopes are kept apart; odd bytes round-trip exactly") {
  RedisServer redis;
  RedisHistoryStore store(options_for(redis));
  const std::string odd = "nul \0, CR LF \r\n, tab \t, ünïcødé, * ? [x]"s;
  append_all(store, {record("*", 1, "ann", "public"), record("#lobby", 2, "ann", odd),
                     record("@ann|bob", 3, "bob", "dm"), record("#Lobby", 5, "cy", "other case")});
  CHECK(texts(store.latest("*", 10)) == std::vector<std::string>{"public"});
  CHECK(texts(store.latest("#lobby", 10)) == std::vector<std::string>{odd});
  CHECK(texts(store.latest("@ann|bob", 10)) == std::vector<std::string>{"dm"});
  CHECK(store.latest("@bob|ann", 10).empty());
  CHECK(store.latest("#lob*", 10).empty());  // no patterns
  CHECK(store.latest("", 10).empty());
}

TEST_CASE("what one server stores, another reads") {
  RedisServer redis;
  RedisHistoryStore one(options_for(redis)), two(options_for(redis));
  append_all(one, {record("#ops", 10, "ann", "from node one")});
  append_all(two, {record("#ops", 11, "bob", "from node two")});
  CHECK(texts(two.latest("#ops", 10)) ==
        std::vector<std::string>{"from node one", "from node two"});
  CHECK(texts(one.latest("#ops", 10)) == texts(two.latest("#ops", 10)));
}

TEST_CASE("prune trims what Redis stamped before the cutoff") {
  RedisServer redis;
  RedisHistoryStore store(options_for(redis));
  append_all(store, {record("*", 1, "ann", "a"), record("#r", 2, "ann", "b"),
                     record("#r", 3, "ann", "c")});
  CHECK(store.prune(std::chrono::system_clock::now() - 1h) == 0);
  CHECK(store.latest("#r", 10).size() == 2);
  CHECK(store.prune(std::chrono::system_clock::now() + 1h) == 3);
  CHECK(store.latest("*", 10).empty());
  CHECK(store.latest("#r", 10).empty());
}

TEST_CASE("Redis down at start is a config error; killed later, calls fail and then recover") {
  {
    RedisServer redis;
    const auto url = "redis://127.0.0.1:" + std::to_string(redis.port());
    redis.stop();
    CHECK_THROWS_AS(RedisHistoryStore({.url = url}), config_error);
  }
  CHECK_THROWS_AS(RedisHistoryStore({.url = "http://nowhere"}), config_error);

  RedisServer redis;
  RedisHistoryStore store(options_for(redis));
  append_all(store, {record("*", 1, "ann", "acknowledged")});
  redis.kill();
  CHECK_THROWS_AS(append_all(store, {record("*", 2, "ann", "refused")}), std::runtime_error);
  CHECK_THROWS_AS(store.latest("*", 10), std::runtime_error);
  redis.restart();  // from its append-only file
  append_all(store, {record("*", 3, "ann", "after")});
  CHECK(texts(store.latest("*", 10)) == std::vector<std::string>{"acknowledged", "after"});
}

TEST_CASE("a Redis that does not answer fails the call after the timeout, not never") {
  RedisServer redis;
  RedisHistoryStore store({.url = "redis+unix://" + redis.unix_path(), .timeout = 300ms});
  redis.pause();
  const auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(append_all(store, {record("*", 1, "ann", "x")}), std::runtime_error);
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= 250ms);
  CHECK(waited < 5s);
  redis.resume();
  append_all(store, {record("*", 2, "ann", "y")});  // connects again
  CHECK(texts(store.latest("*", 10)).back() == "y");
}

TEST_CASE("a password Redis asks for; a wrong one refused without being shown") {
  RedisServer redis({"--requirepass", "the-redis-password"});
  CHECK_THROWS_AS(RedisHistoryStore(options_for(redis)), config_error);
  try {
    RedisHistoryStore store({.url = "redis+unix://" + redis.unix_path(), .password = "wrong-one"});
    FAIL("a wrong password was taken");
  } catch (const config_error& e) {
    CHECK(std::string(e.what()).find("wrong-one") == std::string::npos);
  }
  RedisHistoryStore store(
      {.url = "redis+unix://" + redis.unix_path(), .password = "the-redis-password"});
  append_all(store, {record("*", 1, "ann", "in")});
  CHECK(texts(store.latest("*", 1)) == std::vector<std::string>{"in"});
}

TEST_CASE("a cluster's node stores each record, keeps it in the feed's backlog, publishes it") {
  RedisServer redis;
  RedisHistoryStore store(options_for(redis));
  detail::publish_history_as(store, "n1", 1000);
  detail::RedisBlocking listener(options_for(redis), "the test's subscriber");
  REQUIRE(listener.run({"SUBSCRIBE", "sc:feed"}).elements.size() == 3);
  detail::RedisBlocking reader(options_for(redis), "the test's reader");

  auto check_batch = [&](std::vector<HistoryRecord> batch, const std::vector<std::string>& events) {
    const auto before = reader.run({"XLEN", "sc:feed:log"}).integer;
    store.append(batch);
    // Each in the backlog, as its event; published as "S", its backlog id, its event.
    auto backlog = reader.run({"XRANGE", "sc:feed:log", "-", "+"});
    REQUIRE(backlog.elements.size() == static_cast<std::size_t>(before) + events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& entry = backlog.elements[static_cast<std::size_t>(before) + i];
      const std::string& id = entry.elements[0].text;
      CHECK(entry.elements[1].elements.size() == 2);
      // Each with its message's id and stamp (KeptEvent).
      const std::string kept = store.epoch() + "\t" + std::to_string(batch[i].id) + "\t" +
                               std::to_string(batch[i].unix_ms) + "\t" + events[i];
      CHECK(batch[i].id != 0);
      CHECK(entry.elements[1].elements[0].text == "e");
      CHECK(entry.elements[1].elements[1].text == kept);
      auto message = listener.next_reply();  // ["message", channel, payload]
      REQUIRE(message.elements.size() == 3);
      CHECK(message.elements[1].text == "sc:feed");
      CHECK(message.elements[2].text == "S\t" + id + "\t" + kept);
    }
  };
  check_batch({record("#ops", 10, "ann", "one"), record("@ann|bob", 11, "Ann", "psst"),
               record("*", 12, "bob", "to all\tof you")},
              {"R\tn1\tann\tops\tone", "T\tn1\tAnn\tbob\tpsst", "M\tn1\tbob\tto all\tof you"});
  CHECK(texts(store.latest("#ops", 10)) == std::vector<std::string>{"one"});
  CHECK(texts(store.latest("@ann|bob", 10)) == std::vector<std::string>{"psst"});
  CHECK(texts(store.latest("*", 10)) == std::vector<std::string>{"to all\tof you"});

  // A Redis restarted from its file has forgotten the script: the next batch sends it.
  redis.kill();
  redis.restart();
  listener.run({"SUBSCRIBE", "sc:feed"});  // a new connection: the old one ended
  check_batch({record("#ops", 13, "ann", "after")}, {"R\tn1\tann\tops\tafter"});
  CHECK(texts(store.latest("#ops", 10)) == std::vector<std::string>{"one", "after"});
}

TEST_CASE("the DMs of a user, from Redis") {
  RedisServer redis;
  RedisHistoryStore store(options_for(redis));
  socketchat::test::check_direct_scopes(store);
}

TEST_CASE("the DMs of a user among thousands of scopes: found page by page") {
  RedisServer redis;
  RedisHistoryStore store(options_for(redis));
  std::vector<HistoryRecord> records;
  std::vector<std::string> expected;
  for (int i = 0; i < 3000; ++i) {  // SSCAN's pages hold about 1,000 of them
    const std::string other = "u" + std::to_string(i);
    const bool theirs = i % 500 == 7;
    const std::string scope = theirs ? dm_scope("zoe", other) : dm_scope("amy", other);
    records.push_back({.scope = scope, .unix_ms = 1000, .from = other, .text = "x"});
    if (theirs) expected.push_back(scope);
  }
  store.append(records);
  auto found = store.direct_scopes("Zoe");
  std::sort(found.begin(), found.end());
  std::sort(expected.begin(), expected.end());
  CHECK(expected.size() == 6);
  CHECK(found == expected);
}

TEST_CASE("message ids come from Redis: one counter and one epoch for every server") {
  RedisServer redis;
  RedisHistoryStore store(options_for(redis));
  CHECK(store.epoch().empty());  // nobody has written yet
  socketchat::test::check_message_ids(store, false);
  RedisHistoryStore other(options_for(redis));  // another server of the cluster
  CHECK(other.epoch() == store.epoch());
  std::vector<HistoryRecord> mine{record("#a", 1, "ann", "mine")};
  std::vector<HistoryRecord> theirs{record("#a", 2, "bob", "theirs")};
  store.append(mine);
  other.append(theirs);
  CHECK(theirs[0].id == mine[0].id + 1);
  CHECK(texts(store.read("#a", {.after = mine[0].id, .limit = 10}).records) ==
        std::vector<std::string>{"theirs"});
}
