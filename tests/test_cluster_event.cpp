// The words nodes tell each other on Redis (docs/CLUSTER.md, Inside the node): every
// kind goes through encode and decode unchanged, texts keep their tabs, anything else
// is refused; and the message a history record holds, as published with it.
#include <doctest/doctest.h>

#include <string>

#include "cluster/cluster_event.hpp"

using namespace socketchat::detail;
using socketchat::HistoryRecord;
using Kind = ClusterEvent::Kind;

namespace {

void check_round_trip(const ClusterEvent& event, std::string_view wire) {
  CHECK(event.encode() == wire);
  auto back = ClusterEvent::decode(wire);
  REQUIRE(back.has_value());
  CHECK(back->kind == event.kind);
  CHECK(back->node == event.node);
  CHECK(back->user == event.user);
  CHECK(back->target == event.target);
  CHECK(back->text == event.text);
}

}  // namespace

TEST_CASE("every kind of event goes through the wire unchanged") {
  check_round_trip({.kind = Kind::arrived, .node = "n1", .user = "Alice"}, "A\tn1\tAlice");
  check_round_trip({.kind = Kind::departed, .node = "n1", .user = "Alice"}, "D\tn1\tAlice");
  check_round_trip({.kind = Kind::joined, .node = "n1", .user = "Alice", .target = "Lobby"},
                   "J\tn1\tAlice\tLobby");
  check_round_trip({.kind = Kind::parted, .node = "n1", .user = "Alice", .target = "Lobby"},
                   "P\tn1\tAlice\tLobby");
  check_round_trip({.kind = Kind::message, .node = "n1", .user = "Alice", .text = "hi\tall "},
                   "M\tn1\tAlice\thi\tall ");  // a text keeps its tabs and spaces
  check_round_trip(
      {.kind = Kind::room_message, .node = "n1", .user = "Alice", .target = "lobby", .text = "x"},
      "R\tn1\tAlice\tlobby\tx");
  check_round_trip(
      {.kind = Kind::direct, .node = "n1", .user = "Alice", .target = "bob", .text = "psst"},
      "T\tn1\tAlice\tbob\tpsst");
  check_round_trip(
      {.kind = Kind::moderated, .node = "n1", .user = "op", .target = "*", .text = "ban bob"},
      "X\tn1\top\t*\tban bob");
  check_round_trip(
      {.kind = Kind::kicked, .node = "n1", .user = "op", .target = "lobby", .text = "0 bob why"},
      "K\tn1\top\tlobby\t0 bob why");
}

TEST_CASE("what is not an event is refused") {
  for (std::string_view wire :
       {"", "A", "A\t", "A\tn1", "A\t\tAlice", "A\tn1\t", "Z\tn1\tAlice", "AA\tn1\tAlice",
        "J\tn1\tAlice", "R\tn1\tAlice\tlobby", "left\tAlice"}) {
    CAPTURE(wire);
    CHECK_FALSE(ClusterEvent::decode(wire).has_value());
  }
}

TEST_CASE("a history record's message, as its node publishes it") {
  // The event's words are views into the record: it outlives them.
  const HistoryRecord public_message{.scope = "*", .unix_ms = 1, .from = "Alice", .text = "hi"};
  const HistoryRecord room_message{.scope = "#lobby", .unix_ms = 1, .from = "Alice", .text = "hi"};
  const HistoryRecord dm_from_alice{
      .scope = "@alice|bob", .unix_ms = 1, .from = "Alice", .text = "psst"};
  const HistoryRecord dm_from_bob{
      .scope = "@alice|bob", .unix_ms = 1, .from = "BOB", .text = "hey"};
  const HistoryRecord odd{.scope = "odd", .unix_ms = 1, .from = "a", .text = "x"};
  std::string recipient;

  auto feed = ClusterEvent::of_message("n1", public_message, recipient);
  REQUIRE(feed.has_value());
  CHECK(feed->encode() == "M\tn1\tAlice\thi");
  auto room = ClusterEvent::of_message("n1", room_message, recipient);
  REQUIRE(room.has_value());
  CHECK(room->encode() == "R\tn1\tAlice\tlobby\thi");
  // A DM's scope holds both names in order: the recipient is the one not sending.
  auto first = ClusterEvent::of_message("n1", dm_from_alice, recipient);
  REQUIRE(first.has_value());
  CHECK(first->encode() == "T\tn1\tAlice\tbob\tpsst");
  auto second = ClusterEvent::of_message("n1", dm_from_bob, recipient);
  REQUIRE(second.has_value());
  CHECK(second->encode() == "T\tn1\tBOB\talice\they");
  CHECK_FALSE(ClusterEvent::of_message("n1", odd, recipient).has_value());
}

TEST_CASE("a stored message's place in the feed's backlog orders, and its payload unwraps") {
  auto id = FeedId::parse("1733380000123-7");
  REQUIRE(id.has_value());
  CHECK(id->ms == 1733380000123u);
  CHECK(id->seq == 7u);
  CHECK(id->text() == "1733380000123-7");
  // Ordered by time, then by sequence within a millisecond (not as text: "9" > "10").
  CHECK(*FeedId::parse("5-9") < *FeedId::parse("5-10"));
  CHECK(*FeedId::parse("5-10") < *FeedId::parse("6-0"));
  CHECK(*FeedId::parse("0-0") == FeedId{});
  for (std::string_view bad :
       {"", "5", "5-", "-5", "5-x", "a-1", "5-1-2", "5 -1", "99999999999999999999-0"}) {
    CAPTURE(bad);
    CHECK_FALSE(FeedId::parse(bad).has_value());
  }

  const std::string wire = "S\t17-3\tk3f9a2x1\t42\t1700000000123\tR\tn1\tAlice\tlobby\thi\tthere";
  auto entry = FeedEntry::of(wire);
  REQUIRE(entry.has_value());
  CHECK(entry->id == FeedId{17, 3});
  CHECK(entry->kept.epoch == "k3f9a2x1");  // the message's id and stamp, as stored
  CHECK(entry->kept.n == 42);
  CHECK(entry->kept.unix_ms == 1700000000123);
  CHECK(entry->kept.event == "R\tn1\tAlice\tlobby\thi\tthere");
  auto event = ClusterEvent::decode(entry->kept.event);
  REQUIRE(event.has_value());
  CHECK(event->text == "hi\tthere");
  // Anything else is not a stored message: an event as it is, or a broken envelope, or
  // one without the message's id and stamp (or with a broken one).
  for (std::string_view other :
       {"R\tn1\tAlice\tlobby\thi", "S\t17-3", "S\tx-3\tM\tn\tu\tt", "S17-3\tM",
        "S\t17-3\tM\tn1\tAlice\thi", "S\t17-3\tk3\t0\t1\tM\tn1\tAlice\thi",
        "S\t17-3\tk3\tx\t1\tM\tn1\tAlice\thi", "S\t17-3\t\t4\t1\tM\tn1\tAlice\thi"}) {
    CAPTURE(other);
    CHECK_FALSE(FeedEntry::of(other).has_value());
  }
}
