// PROTOCOL.md "Limits and abuse" for rooms and lists, over real sockets: the room
// limits (max_rooms, max_rooms_per_user: ERR too-many-rooms), and long lists (WHO,
// WHO <room>, ROOMS, HISTORY) cut to max_reply_bytes with MORE <n> before END, so that
// asking for a list never costs the asker its connection, however small sendq_bytes is.
#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <vector>

#include <socketchat/error.hpp>
#include <socketchat/server.hpp>

#include "support/doctest_lines.hpp"
#include "support/line_client.hpp"
#include "support/running_server.hpp"

using namespace socketchat;
using namespace socketchat::test;

namespace {

using Lines = std::vector<std::string>;

// Every line of the answer to `request`, END included: these tests count the bytes of
// the whole answer. No END within the wait ends the test.
Lines reply_to(LineClient& client, const std::string& request,
               LineClient::Where where = LineClient::Where::current()) {
  Lines lines = listing(client, request, where);
  lines.push_back("END");
  return lines;
}

// The bytes of `lines` on the wire, an LF after each.
std::size_t wire_bytes(const Lines& lines) {
  std::size_t bytes = 0;
  for (const auto& line : lines) bytes += line.size() + 1;
  return bytes;
}

// Joins every room of `rooms` in one write; each must be answered OK.
void join_all(LineClient& client, const Lines& rooms,
              LineClient::Where where = LineClient::Where::current()) {
  std::string joins;
  for (const auto& room : rooms) joins += "JOIN " + room + "\n";
  client.send(joins, where);
  for (std::size_t i = 0; i < rooms.size(); ++i) client.expect_line("OK", where);
}

// "room0000", "room0001", ...: names of one length, so that list lines are too.
Lines numbered(std::string_view prefix, std::size_t count, std::size_t first = 0) {
  Lines names;
  for (std::size_t i = first; i < first + count; ++i) {
    std::string digits = std::to_string(i);
    names.push_back(std::string(prefix) + std::string(4 - digits.size(), '0') + digits);
  }
  return names;
}

}  // namespace

TEST_SUITE("room limits") {
  TEST_CASE("max_rooms_per_user: the JOIN of one room too many is too-many-rooms; PART frees one") {
    auto options = loopback_options();
    options.max_rooms_per_user = 3;
    RunningServer s(options);
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    join_all(alice, {"a", "b", "c"});
    join_all(bob, {"d"});

    alice.send("JOIN d\n");  // a room that exists counts as much as a new one
    alice.expect_line("ERR too-many-rooms");
    alice.send("JOIN e\n");
    alice.expect_line("ERR too-many-rooms");
    alice.send("JOIN A\n");  // in it already: that is what she is told
    alice.expect_line("ERR already-in-room");
    bob.expect_quiet();  // nobody heard of the refused JOIN d
    CHECK(reply_to(alice, "ROOMS") == Lines{"ROOM a 1", "ROOM b 1", "ROOM c 1", "ROOM d 1", "END"});

    alice.send("PART b\nJOIN d\n");
    alice.expect_line("OK");
    alice.expect_line("OK");
    bob.expect_line("INFO alice joined d");
    alice.send("JOIN e\n");
    alice.expect_line("ERR too-many-rooms");
  }

  TEST_CASE("max_rooms: a JOIN that would make one room too many is too-many-rooms") {
    auto options = loopback_options();
    options.max_rooms = 2;
    RunningServer s(options);
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    join_all(alice, {"a", "b"});

    bob.send("JOIN c\n");
    bob.expect_line("ERR too-many-rooms");
    bob.send("JOIN A\n");  // a room that exists may still be joined
    bob.expect_line("OK");
    alice.expect_line("INFO bob joined a");
    CHECK(reply_to(bob, "ROOMS") == Lines{"ROOM a 2", "ROOM b 1", "END"});

    // The last one out removes a room, and with it goes the limit's hold.
    alice.send("PART b\n");
    alice.expect_line("OK");
    bob.send("JOIN c\n");
    bob.expect_line("OK");
    CHECK(reply_to(bob, "ROOMS") == Lines{"ROOM a 2", "ROOM c 1", "END"});
  }

  TEST_CASE("the defaults: 20 rooms a user, 1000 on the server") {
    RunningServer s(loopback_options());
    std::vector<LineClient> users;
    for (std::size_t u = 0; u < 50; ++u) {
      users.push_back(logged_in(s.port, "u" + std::to_string(u)));
      join_all(users.back(), numbered("r" + std::to_string(u) + "x", 20));
    }
    users[0].send("JOIN r1x0000\n");  // the 21st room of u0, one that exists
    users[0].expect_line("ERR too-many-rooms");
    auto late = logged_in(s.port, "late");
    late.send("JOIN one.more\nJOIN r0x0000\n");  // room 1001; room 1 again
    late.expect_line("ERR too-many-rooms");
    late.expect_line("OK");
  }

  TEST_CASE("max_reply_bytes is at least 1024; the room limits may be anything, 0 = unlimited") {
    auto options = loopback_options();
    options.max_reply_bytes = 1023;
    CHECK_THROWS_AS(options.validate(), config_error);
    CHECK_THROWS_AS(Server{options}, config_error);
    options.max_reply_bytes = 1024;
    options.max_rooms = 0;
    options.max_rooms_per_user = 0;
    CHECK_NOTHROW(options.validate());
  }

  TEST_CASE("lowering a limit while the server runs takes no one out of a room") {
    auto options = loopback_options();
    options.max_rooms_per_user = 0;
    RunningServer s(options);
    auto alice = logged_in(s.port, "alice");
    join_all(alice, {"a", "b", "c"});

    options.max_rooms_per_user = 2;
    CHECK(s.server.reconfigure(options).empty());
    alice.send("JOIN d\nPART a\nJOIN d\nPART b\nJOIN d\n");
    for (auto expected : {"ERR too-many-rooms", "OK", "ERR too-many-rooms", "OK", "OK"}) {
      alice.expect_line(expected);
    }
    CHECK(reply_to(alice, "ROOMS") == Lines{"ROOM c 1", "ROOM d 1", "END"});
  }
}

TEST_SUITE("long lists") {
  // sendq_bytes 8192 makes replies of at most 2048 bytes (a quarter), where an uncut
  // ROOMS of 1000 rooms (16,000 bytes) would close the connection.
  TEST_CASE("ROOMS with more rooms than fit: the first that fit, MORE <n>, END; still connected") {
    auto options = loopback_options();
    options.sendq_bytes = 8192;
    options.max_rooms_per_user = 0;
    RunningServer s(options);
    auto alice = logged_in(s.port, "alice");
    const Lines rooms = numbered("room", 1000);
    join_all(alice, rooms);

    // "ROOM room0000 1" is 16 bytes with its LF: 127 of them, "MORE 873" and END make
    // 2045 bytes; one more room would make 2061.
    Lines expected;
    for (std::size_t i = 0; i < 127; ++i) expected.push_back("ROOM " + rooms[i] + " 1");
    expected.push_back("MORE 873");
    expected.push_back("END");
    for (int round = 0; round < 3; ++round) {
      Lines got = reply_to(alice, "ROOMS");
      CHECK(got == expected);
      CHECK(wire_bytes(got) == 2045);
    }
    alice.expect_quiet();
  }

  TEST_CASE("max_reply_bytes itself cuts a list, and a list that fits whole has no MORE") {
    auto options = loopback_options();
    options.max_reply_bytes = 1024;
    options.max_rooms_per_user = 0;
    RunningServer s(options);
    auto alice = logged_in(s.port, "alice");
    // 63 rooms of 16 bytes and END are 1012 bytes: all of them, no MORE.
    join_all(alice, numbered("room", 63));
    Lines got = reply_to(alice, "ROOMS");
    CHECK(got.size() == 64);
    CHECK(got.back() == "END");
    CHECK(got[62] == "ROOM room0062 1");
    // 64 rooms and END would be 1028: 63 fit with "MORE 1" and END (1019 bytes).
    join_all(alice, numbered("room", 1, 63));
    got = reply_to(alice, "ROOMS");
    CHECK(got.size() == 65);
    CHECK(got[62] == "ROOM room0062 1");
    CHECK(Lines(got.end() - 2, got.end()) == Lines{"MORE 1", "END"});
    CHECK(wire_bytes(got) == 1019);
  }

  // sendq_bytes 2048 makes replies of at most 512 bytes; 60 users of 32-character names
  // make an uncut WHO of 2280 bytes, more than the whole queue.
  TEST_CASE("WHO and WHO <room> with more users than fit: MORE <n>, END; still connected") {
    auto options = loopback_options();
    options.max_line_bytes = 1024;
    options.sendq_bytes = 2048;
    RunningServer s(options);
    std::vector<LineClient> users;
    Lines names;
    for (std::size_t i = 0; i < 60; ++i) {
      std::string digits = std::to_string(100 + i);
      names.push_back("user" + digits + std::string(25, 'x'));  // 32 characters
      users.push_back(logged_in(s.port, names.back()));
    }
    // "USER <32 characters>" is 38 bytes with its LF: 13 of them, "MORE 47" and END
    // make 506 bytes; one more would make 544.
    Lines expected;
    for (std::size_t i = 0; i < 13; ++i) expected.push_back("USER " + names[i]);
    expected.push_back("MORE 47");
    expected.push_back("END");
    Lines got = reply_to(users[0], "WHO");
    CHECK(got == expected);
    CHECK(wire_bytes(got) == 506);

    for (auto& user : users) {
      user.send("JOIN big\n");
      user.expect_line("OK");
    }
    CHECK(reply_to(users[59], "WHO big") == expected);
    users[0].send("PING still-here\n");
    for (;;) {  // the INFO lines of those who joined after it come first
      auto line = users[0].read_line();
      REQUIRE(line);
      if (*line == "PONG still-here") break;
      CHECK(line->starts_with("INFO user"));
    }
  }

  // 40 messages of 300 characters are 13,120 bytes of HIST lines, more than the 8192
  // bytes of the whole queue.
  TEST_CASE("HISTORY with more than fits: the latest that fit, oldest first, MORE <n>, END") {
    auto options = loopback_options();
    options.sendq_bytes = 8192;
    RunningServer s(options);
    auto alice = logged_in(s.port, "alice");
    alice.send("JOIN r\n");
    alice.expect_line("OK");
    std::string says;
    Lines texts;
    for (std::size_t i = 0; i < 40; ++i) {
      texts.push_back("m" + std::to_string(10 + i) + std::string(297, '.'));  // 300 characters
      says += "SAY r " + texts.back() + "\n";
    }
    alice.send(says);
    alice.expect_quiet();

    // "HIST r <13 digits> alice <300>" is 328 bytes with its LF: the latest 6, "MORE 34"
    // and END make 1980 bytes; one more would make 2308, over 2048.
    Lines got = reply_to(alice, "HISTORY r 40");
    REQUIRE(got.size() == 8);
    for (std::size_t i = 0; i < 6; ++i) {
      CAPTURE(i);
      const std::string& line = got[i];
      REQUIRE(line.size() == 327);
      CHECK(line.substr(0, 7) == "HIST r ");
      CHECK(line.substr(20) == " alice " + texts[34 + i]);
    }
    CHECK(Lines(got.begin() + 6, got.end()) == Lines{"MORE 34", "END"});
    CHECK(wire_bytes(got) == 1980);
    alice.expect_quiet();

    // What fits is all of it: no MORE.
    got = reply_to(alice, "HISTORY r 6");
    CHECK(got.size() == 7);
    CHECK(got.back() == "END");
    CHECK(got[0].substr(20) == " alice " + texts[34]);
  }
}
