// PROTOCOL.md "Rooms" over real sockets: JOIN, PART, SAY, ROOMS and WHO <room>, every
// row checked as a client sees it, byte for byte; a user in many rooms; disconnects;
// the room verbs before LOGIN; and in-process users taking part in rooms.
#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <socketchat/local_user.hpp>
#include <socketchat/recording_sink.hpp>
#include <socketchat/server.hpp>

#include "support/doctest_lines.hpp"
#include "support/inbox.hpp"
#include "support/line_client.hpp"
#include "support/running_server.hpp"

using namespace socketchat;
using namespace socketchat::test;
using namespace std::string_literals;

namespace {

using Lines = std::vector<std::string>;

// Like LineClient::expect_quiet for an in-process user: the PONG to a fresh PING
// must be the very next line.
void expect_quiet(LocalUser& user, Inbox& inbox) {
  static int counter = 0;
  const std::string token = "local-quiet-" + std::to_string(++counter);
  user.send("PING " + token);
  CHECK(inbox.next() == "PONG " + token);
}

}  // namespace

TEST_SUITE("JOIN") {
  TEST_CASE("OK; the other members are told, with the room as its creator spelled it") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "Bob");
    auto carol = logged_in(s.port, "carol");
    auto outsider = logged_in(s.port, "dave");
    auto elsewhere = logged_in(s.port, "erin");
    LineClient anonymous(s.port);
    anonymous.expect_quiet();

    elsewhere.send("JOIN other\n");
    elsewhere.expect_line("OK");

    alice.send("JOIN General\n");  // creates it: "General" is its spelling from now on
    alice.expect_line("OK");
    alice.expect_quiet();  // the only member: nobody to tell, not even the joiner

    bob.send("join general\n");
    bob.expect_line("OK");
    alice.expect_line("INFO Bob joined General");
    bob.expect_quiet();  // the joiner is not told of its own join

    carol.send("JOIN GENERAL\n");
    carol.expect_line("OK");
    alice.expect_line("INFO carol joined General");
    bob.expect_line("INFO carol joined General");
    carol.expect_quiet();

    // Nobody outside the room hears of it.
    outsider.expect_quiet();
    elsewhere.expect_quiet();
    anonymous.expect_quiet();
    alice.expect_quiet();
    bob.expect_quiet();

    CHECK(listing(outsider, "ROOMS") == Lines{"ROOM General 3", "ROOM other 1"});
  }

  TEST_CASE("already-in-room, without regard to case; nobody is told") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    alice.send("JOIN General\n");
    alice.expect_line("OK");
    bob.send("JOIN general\n");
    bob.expect_line("OK");
    alice.expect_line("INFO bob joined General");

    for (const char* line :
         {"JOIN General\n", "JOIN general\n", "JOIN GENERAL\n", "join gEnErAl\n"}) {
      CAPTURE(line);
      alice.send(line);
      alice.expect_line("ERR already-in-room");
    }
    bob.send("JOIN General\n");
    bob.expect_line("ERR already-in-room");
    alice.expect_quiet();
    bob.expect_quiet();
    // The room's spelling and count are unchanged.
    CHECK(listing(alice, "ROOMS") == Lines{"ROOM General 2"});
  }

  TEST_CASE("invalid room names: invalid-room, and no room is made") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    bob.send("JOIN lobby\n");
    bob.expect_line("OK");
    // Too long; not starting with a letter or digit; a character outside
    // A-Z a-z 0-9 _ . - ("café" is valid UTF-8 but not ASCII).
    const std::string too_long(33, 'r');
    const std::string names[] = {too_long, "_room",  ".room", "-room", "room!",      "#general",
                                 "&room",  "@bob",   "*",     "a/b",   "a+b",        "a:b",
                                 "a,b",    "[room]", "ro'om", "r%m",   "caf\xC3\xA9"};
    for (const auto& name : names) {
      CAPTURE(escaped(name));
      alice.send("JOIN " + name + "\n");
      alice.expect_line("ERR invalid-room");
    }
    bob.expect_quiet();
    CHECK(listing(alice, "ROOMS") == Lines{"ROOM lobby 1"});
    // A second word is the room's key, which a room without one ignores (IRC's JOIN).
    alice.send("JOIN lobby extra\n");
    alice.expect_line("OK");
    bob.expect_line("INFO alice joined lobby");
  }

  TEST_CASE("every allowed character, and 1 to 32 of them") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    const std::string longest = "R" + std::string(30, '_') + "z";  // 32 characters
    REQUIRE(longest.size() == 32);
    for (const std::string& name :
         {longest, std::string("9lives"), std::string("A.b_c-D.0"), std::string("x")}) {
      CAPTURE(name);
      alice.send("JOIN " + name + "\n");
      alice.expect_line("OK");
    }
    alice.send("  JOIN \t spaced  \t\n");  // the line is trimmed; the name is what remains
    alice.expect_line("OK");
    CHECK(listing(alice, "ROOMS") == Lines{"ROOM 9lives 1", "ROOM A.b_c-D.0 1",
                                           "ROOM " + longest + " 1", "ROOM spaced 1", "ROOM x 1"});
  }

  TEST_CASE("bare JOIN: missing-argument") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    for (const char* line : {"JOIN\n", "JOIN   \n", "JOIN \t \r\n", "join\n"}) {
      CAPTURE(escaped(line));
      alice.send(line);
      alice.expect_line("ERR missing-argument");
    }
    CHECK(listing(alice, "ROOMS").empty());
  }
}

TEST_SUITE("PART") {
  TEST_CASE("OK; the remaining members are told, with the room as its creator spelled it") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "Bob");
    auto carol = logged_in(s.port, "carol");
    auto outsider = logged_in(s.port, "dave");
    alice.send("JOIN General\n");
    alice.expect_line("OK");
    bob.send("JOIN general\n");
    bob.expect_line("OK");
    alice.expect_line("INFO Bob joined General");
    carol.send("JOIN general\n");
    carol.expect_line("OK");
    alice.expect_line("INFO carol joined General");
    bob.expect_line("INFO carol joined General");

    bob.send("PART GENERAL\n");
    bob.expect_line("OK");
    alice.expect_line("INFO Bob left General");
    carol.expect_line("INFO Bob left General");
    bob.expect_quiet();  // the one who left is not told of it
    outsider.expect_quiet();
    CHECK(listing(outsider, "ROOMS") == Lines{"ROOM General 2"});
    CHECK(listing(outsider, "WHO general") == Lines{"USER alice", "USER carol"});

    // Having left, bob hears nothing more of the room.
    alice.send("SAY general still here\n");
    carol.expect_line("SAY General alice still here");
    bob.expect_quiet();
  }

  TEST_CASE("not-in-room whether or not the room exists; nothing changes") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    alice.send("JOIN lobby\n");
    alice.expect_line("OK");

    // lobby exists, bob is not in it; nowhere does not exist; "bad!" cannot exist;
    // "lobby extra" is lobby with a reason.
    for (const char* line :
         {"PART lobby\n", "PART LOBBY\n", "PART nowhere\n", "PART bad!\n", "PART lobby extra\n"}) {
      CAPTURE(line);
      bob.send(line);
      bob.expect_line("ERR not-in-room");
    }
    alice.expect_quiet();

    // PART twice: the second is not-in-room.
    bob.send("JOIN lobby\n");
    bob.expect_line("OK");
    alice.expect_line("INFO bob joined lobby");
    bob.send("PART lobby\n");
    bob.expect_line("OK");
    alice.expect_line("INFO bob left lobby");
    bob.send("PART lobby\n");
    bob.expect_line("ERR not-in-room");
    alice.expect_quiet();
    CHECK(listing(bob, "ROOMS") == Lines{"ROOM lobby 1"});

    // A reason, after the room, reaches the others cleaned (PROTOCOL.md, Rooms).
    bob.send("JOIN lobby\n");
    bob.expect_line("OK");
    alice.expect_line("INFO bob joined lobby");
    bob.send("PART lobby \t gone \x07home  \n");
    bob.expect_line("OK");
    alice.expect_line("INFO bob left lobby gone home");
  }

  TEST_CASE("the last one out removes the room; the next JOIN makes it anew") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    auto observer = logged_in(s.port, "observer");
    alice.send("JOIN General\n");
    alice.expect_line("OK");
    bob.send("JOIN general\n");
    bob.expect_line("OK");
    alice.expect_line("INFO bob joined General");

    alice.send("PART general\n");
    alice.expect_line("OK");
    bob.expect_line("INFO alice left General");
    CHECK(listing(observer, "ROOMS") == Lines{"ROOM General 1"});

    bob.send("PART general\n");
    bob.expect_line("OK");
    alice.expect_quiet();  // no longer a member: not told
    bob.expect_quiet();
    CHECK(listing(observer, "ROOMS").empty());
    observer.send("WHO general\n");
    observer.expect_line("ERR no-such-room");
    bob.send("PART general\n");
    bob.expect_line("ERR not-in-room");
    bob.send("SAY general anyone?\n");
    bob.expect_line("ERR not-in-room");

    // Gone for good: a new JOIN creates it, and its creator's spelling is the new one.
    bob.send("JOIN gENERAL\n");
    bob.expect_line("OK");
    alice.expect_quiet();
    CHECK(listing(observer, "ROOMS") == Lines{"ROOM gENERAL 1"});
    CHECK(listing(observer, "WHO General") == Lines{"USER bob"});
    alice.send("JOIN general\n");
    alice.expect_line("OK");
    bob.expect_line("INFO alice joined gENERAL");
  }

  TEST_CASE("bare PART: missing-argument") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    for (const char* line : {"PART\n", "PART   \n", "part\t\r\n"}) {
      CAPTURE(escaped(line));
      alice.send(line);
      alice.expect_line("ERR missing-argument");
    }
  }
}

TEST_SUITE("SAY") {
  TEST_CASE("the other members receive it; the sender, non-members and anonymous clients do not") {
    RunningServer s;
    auto alice = logged_in(s.port, "Alice");
    auto bob = logged_in(s.port, "bob");
    auto carol = logged_in(s.port, "carol");
    auto outsider = logged_in(s.port, "dave");
    auto elsewhere = logged_in(s.port, "erin");
    LineClient anonymous(s.port);
    anonymous.expect_quiet();
    alice.send("JOIN General\n");
    alice.expect_line("OK");
    for (auto* member : {&bob, &carol}) {
      member->send("JOIN general\n");
      member->expect_line("OK");
    }
    alice.expect_line("INFO bob joined General");
    alice.expect_line("INFO carol joined General");
    bob.expect_line("INFO carol joined General");
    elsewhere.send("JOIN other\n");
    elsewhere.expect_line("OK");

    alice.send("SAY general hello   big\t\tworld \t \n");  // outer blanks trimmed, inner kept
    bob.expect_line("SAY General Alice hello   big\t\tworld");
    carol.expect_line("SAY General Alice hello   big\t\tworld");
    alice.expect_quiet();
    outsider.expect_quiet();
    elsewhere.expect_quiet();
    anonymous.expect_quiet();

    carol.send("say\tGENERAL\tx\n");  // verb case-insensitive, tabs separate, room without case
    alice.expect_line("SAY General carol x");
    bob.expect_line("SAY General carol x");
    carol.expect_quiet();
    outsider.expect_quiet();
    elsewhere.expect_quiet();
  }

  TEST_CASE("not-in-room: a room one is not in, a room that does not exist, an invalid name") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    alice.send("JOIN lobby\n");
    alice.expect_line("OK");
    for (const char* line : {"SAY lobby hi\n", "SAY LOBBY hi\n", "SAY nowhere hi\n",
                             "SAY bad! hi\n", "SAY _lobby hi\n"}) {
      CAPTURE(line);
      bob.send(line);
      bob.expect_line("ERR not-in-room");
    }
    alice.expect_quiet();
  }

  TEST_CASE("a room but no text, or only blanks: empty-message; no room at all: missing-argument") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    for (auto* member : {&alice, &bob}) {
      member->send("JOIN lobby\n");
      member->expect_line("OK");
    }
    alice.expect_line("INFO bob joined lobby");
    for (const char* line :
         {"SAY lobby\n", "SAY lobby   \n", "SAY lobby \t \t\n", "SAY lobby\r\n"}) {
      CAPTURE(escaped(line));
      alice.send(line);
      alice.expect_line("ERR empty-message");
    }
    for (const char* line : {"SAY\n", "SAY   \n", "say\t\r\n"}) {
      CAPTURE(escaped(line));
      alice.send(line);
      alice.expect_line("ERR missing-argument");
    }
    bob.expect_quiet();
  }

  TEST_CASE("control characters are removed from the text; TAB is kept") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    for (auto* member : {&alice, &bob}) {
      member->send("JOIN lobby\n");
      member->expect_line("OK");
    }
    alice.expect_line("INFO bob joined lobby");
    // ESC, BEL, NUL, BS, a CR inside the line, DEL, and the C1 controls U+0080,
    // U+009B (CSI) and U+009F; U+00A0 (no-break space) is no control and stays.
    alice.send(
        "SAY lobby a\x1b[31mred\x07 b\0c\bd\re\x7f"
        "f\xC2\x80g\xC2\x9Bh\xC2\x9Fi\tj\xC2\xA0k\n"s);
    bob.expect_line("SAY lobby alice a[31mred bcdefghi\tj\xC2\xA0k");
    bob.expect_quiet();
  }
}

TEST_SUITE("ROOMS") {
  TEST_CASE("an empty server: just END") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    alice.send("ROOMS\n");
    alice.expect_line("END");
    alice.expect_quiet();
  }

  TEST_CASE("one ROOM <room> <member-count> per room, sorted by ASCII lower case, then END") {
    RunningServer s;
    // Sorting by the lower-case form puts a_b before aB ('_' < 'b'); sorting the
    // spellings as given would not ('B' < '_'), nor would it put Beta after alpha.
    struct Joins {
      const char* room;
      int members;
    };
    const Joins rooms[] = {{"Zed", 1}, {"alpha", 2},  {"x.y", 1}, {"Beta", 3},
                           {"aB", 4},  {"9lives", 2}, {"a_b", 1}, {"x-y", 1}};
    std::vector<LineClient> users;
    for (int i = 0; i < 4; ++i) users.push_back(logged_in(s.port, "u" + std::to_string(i)));
    for (const auto& room : rooms) {
      for (std::size_t i = 0; i < static_cast<std::size_t>(room.members); ++i) {
        users[i].send("JOIN " + std::string(room.room) + "\n");
        users[i].expect_line("OK");
        for (std::size_t j = 0; j < i; ++j) {
          users[j].expect_line("INFO u" + std::to_string(i) + " joined " + room.room);
        }
      }
    }
    auto asker = logged_in(s.port, "asker");  // membership is not needed
    const Lines expected{"ROOM 9lives 2", "ROOM a_b 1", "ROOM aB 4",  "ROOM alpha 2",
                         "ROOM Beta 3",   "ROOM x-y 1", "ROOM x.y 1", "ROOM Zed 1"};
    CHECK(listing(asker, "ROOMS") == expected);
    CHECK(listing(users[3], "rooms") == expected);
    for (auto& user : users) user.expect_quiet();  // asking tells nobody else
  }

  TEST_CASE("the counts follow JOIN and PART") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    alice.send("JOIN r\n");
    alice.expect_line("OK");
    CHECK(listing(bob, "ROOMS") == Lines{"ROOM r 1"});
    bob.send("JOIN R\n");
    bob.expect_line("OK");
    alice.expect_line("INFO bob joined r");
    CHECK(listing(bob, "ROOMS") == Lines{"ROOM r 2"});
    alice.send("PART r\n");
    alice.expect_line("OK");
    bob.expect_line("INFO alice left r");
    CHECK(listing(alice, "ROOMS") == Lines{"ROOM r 1"});
  }
}

TEST_SUITE("WHO <room>") {
  TEST_CASE("one USER per member, sorted by ASCII lower case, then END; membership not needed") {
    RunningServer s;
    std::vector<LineClient> members;
    for (const char* name : {"Zed", "alice", "x.y", "Bob", "aB", "9lives", "a_b", "x-y"}) {
      members.push_back(logged_in(s.port, name));
      members.back().send("JOIN Room1\n");
      members.back().expect_line("OK");
    }
    auto outsider = logged_in(s.port, "outsider");  // logged in, not a member: not listed
    auto other = logged_in(s.port, "other");
    other.send("JOIN Room2\n");
    other.expect_line("OK");

    const Lines expected{"USER 9lives", "USER a_b", "USER aB",  "USER alice",
                         "USER Bob",    "USER x-y", "USER x.y", "USER Zed"};
    CHECK(listing(outsider, "WHO Room1") == expected);
    CHECK(listing(outsider, "who ROOM1") == expected);
    CHECK(listing(outsider, "WHO   room1  ") == expected);
    CHECK(listing(members.back(), "WHO room1") == expected);  // the last joiner: nothing pending
    CHECK(listing(outsider, "WHO room2") == Lines{"USER other"});
    outsider.expect_quiet();
    other.expect_quiet();
  }

  TEST_CASE("no-such-room for a room that does not exist or cannot") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    alice.send("JOIN lobby\n");
    alice.expect_line("OK");
    for (const char* line : {"WHO nowhere\n", "WHO bad!\n", "WHO lobby extra\n", "WHO _lobby\n"}) {
      CAPTURE(line);
      alice.send(line);
      alice.expect_line("ERR no-such-room");
    }
    // Bare WHO is still the list of everyone logged in.
    CHECK(listing(alice, "WHO") == Lines{"USER alice"});
  }
}

TEST_CASE("a user in many rooms: each room hears only its own") {
  RunningServer s;
  auto alice = logged_in(s.port, "alice");
  auto bob = logged_in(s.port, "bob");
  auto carol = logged_in(s.port, "carol");
  for (const char* room : {"one", "two", "three"}) {
    alice.send("JOIN " + std::string(room) + "\n");
    alice.expect_line("OK");
  }
  bob.send("JOIN one\n");
  bob.expect_line("OK");
  alice.expect_line("INFO bob joined one");
  carol.send("JOIN two\n");
  carol.expect_line("OK");
  alice.expect_line("INFO carol joined two");
  bob.expect_quiet();  // carol's join of two is not for bob

  alice.send("SAY one to one\nSAY two to two\nSAY three to three\n");
  bob.expect_line("SAY one alice to one");
  carol.expect_line("SAY two alice to two");
  bob.expect_quiet();
  carol.expect_quiet();
  alice.expect_quiet();

  CHECK(listing(bob, "ROOMS") == Lines{"ROOM one 2", "ROOM three 1", "ROOM two 2"});

  alice.send("PART one\n");
  alice.expect_line("OK");
  bob.expect_line("INFO alice left one");
  carol.expect_quiet();  // two did not change
  alice.send("SAY two still in two\n");
  carol.expect_line("SAY two alice still in two");
  alice.send("SAY one gone\n");
  alice.expect_line("ERR not-in-room");
  bob.expect_quiet();
  CHECK(listing(bob, "ROOMS") == Lines{"ROOM one 1", "ROOM three 1", "ROOM two 2"});
}

TEST_CASE("a disconnect is announced once, by INFO <user> disconnected; no left lines") {
  RunningServer s;
  auto bob = logged_in(s.port, "bob");
  auto carol = logged_in(s.port, "carol");
  auto dave = logged_in(s.port, "dave");  // in no room: told all the same
  auto alice = logged_in(s.port, "Alice");
  for (const char* room : {"one", "two", "solo"}) {
    alice.send("JOIN " + std::string(room) + "\n");
    alice.expect_line("OK");
  }
  bob.send("JOIN one\n");
  bob.expect_line("OK");
  alice.expect_line("INFO bob joined one");
  carol.send("JOIN one\nJOIN two\n");
  carol.expect_line("OK");
  carol.expect_line("OK");
  alice.expect_line("INFO carol joined one");
  alice.expect_line("INFO carol joined two");
  bob.expect_line("INFO carol joined one");
  CHECK(listing(dave, "ROOMS") == Lines{"ROOM one 3", "ROOM solo 1", "ROOM two 2"});

  SUBCASE("QUIT") {
    alice.send("QUIT\n");
    alice.expect_eof();
  }
  SUBCASE("an abrupt reset") {
    alice.reset();
  }
  SUBCASE("an orderly close") {
    alice = LineClient(s.port);  // closes the old connection (FIN)
  }

  for (auto* other : {&bob, &carol, &dave}) {
    other->expect_line("INFO Alice disconnected");
    other->expect_quiet();  // once, and no "INFO Alice left ..."
  }
  // Removed from every room: one and two shrink, solo is gone.
  CHECK(listing(dave, "ROOMS") == Lines{"ROOM one 2", "ROOM two 1"});
  CHECK(listing(dave, "WHO one") == Lines{"USER bob", "USER carol"});
  CHECK(listing(dave, "WHO two") == Lines{"USER carol"});
  dave.send("WHO solo\n");
  dave.expect_line("ERR no-such-room");

  // Back under the same name, she is in no room.
  auto again = logged_in(s.port, "alice");
  again.send("SAY one back\n");
  again.expect_line("ERR not-in-room");
  again.send("PART two\n");
  again.expect_line("ERR not-in-room");
  again.send("JOIN one\n");
  again.expect_line("OK");
  bob.expect_line("INFO alice joined one");
  carol.expect_line("INFO alice joined one");
}

TEST_CASE("before LOGIN every room verb gets not-logged-in and does nothing") {
  RunningServer s;
  auto bob = logged_in(s.port, "bob");
  bob.send("JOIN lobby\n");
  bob.expect_line("OK");
  LineClient client(s.port);
  for (const char* line :
       {"JOIN lobby\n", "join other\n", "PART lobby\n", "SAY lobby hi\n", "ROOMS\n", "WHO lobby\n",
        "HISTORY lobby\n", "HISTORY *\n", "HISTORY @bob\n", "HISTORY lobby 5\n"}) {
    CAPTURE(line);
    client.send(line);
    client.expect_line("ERR not-logged-in");
  }
  bob.expect_quiet();
  CHECK(listing(bob, "ROOMS") == Lines{"ROOM lobby 1"});
  CHECK(listing(bob, "WHO lobby") == Lines{"USER bob"});
}

TEST_CASE("HELP lists the room verbs and HISTORY") {
  RunningServer s;
  LineClient client(s.port);
  std::multiset<std::string> verbs;
  for (const auto& line : listing(client, "HELP")) {
    CAPTURE(escaped(line));
    REQUIRE(line.starts_with("HELP "));
    auto verb_end = line.find(' ', 5);
    REQUIRE(verb_end != std::string::npos);
    verbs.insert(line.substr(5, verb_end - 5));
  }
  for (const char* verb : {"JOIN", "PART", "SAY", "ROOMS", "HISTORY", "WHO"}) {
    CAPTURE(verb);
    CHECK(verbs.count(verb) == 1);
  }
}

TEST_CASE("in-process users take part in rooms like remote ones") {
  Inbox inbox;  // outlives the server, whose threads call its handler
  RunningServer s;
  auto bot = s.server.connect("Bot", inbox.handler());
  auto alice = logged_in(s.port, "alice");

  bot->send("JOIN Lobby");
  CHECK(inbox.next() == "OK");
  bot->send("JOIN lobby");
  CHECK(inbox.next() == "ERR already-in-room");
  bot->send("JOIN bad!room");
  CHECK(inbox.next() == "ERR invalid-room");

  alice.send("JOIN lobby\n");
  alice.expect_line("OK");
  CHECK(inbox.next() == "INFO alice joined Lobby");

  bot->send("SAY lobby hi from the bot");
  alice.expect_line("SAY Lobby Bot hi from the bot");
  expect_quiet(*bot, inbox);  // the sender hears nothing of its own SAY

  alice.send("SAY LOBBY hi bot\n");
  CHECK(inbox.next() == "SAY Lobby alice hi bot");
  CHECK(inbox.last_parts() == "SAY|Lobby|alice|hi bot");

  bot->send("ROOMS");
  CHECK(inbox.next() == "ROOM Lobby 2");
  CHECK(inbox.next() == "END");
  bot->send("WHO lobby");
  CHECK(inbox.next() == "USER alice");
  CHECK(inbox.next() == "USER Bot");
  CHECK(inbox.next() == "END");
  CHECK(listing(alice, "WHO lobby") == Lines{"USER alice", "USER Bot"});

  bot->send("PART lobby");
  CHECK(inbox.next() == "OK");
  alice.expect_line("INFO Bot left Lobby");
  bot->send("SAY lobby gone");
  CHECK(inbox.next() == "ERR not-in-room");
  alice.expect_quiet();

  // A disconnect of an in-process member is announced like any other.
  bot->send("JOIN lobby");
  CHECK(inbox.next() == "OK");
  alice.expect_line("INFO Bot joined Lobby");
  bot->disconnect();
  alice.expect_line("INFO Bot disconnected");
  alice.expect_quiet();
  CHECK(listing(alice, "ROOMS") == Lines{"ROOM Lobby 1"});
  s.server.stop();
}

TEST_CASE("an in-process member hears of a remote member's disconnect once, with no left line") {
  Inbox inbox;
  RunningServer s;
  auto bot = s.server.connect("bot", inbox.handler());
  bot->send("JOIN lobby");
  CHECK(inbox.next() == "OK");
  auto alice = logged_in(s.port, "alice");
  alice.send("JOIN lobby\n");
  alice.expect_line("OK");
  CHECK(inbox.next() == "INFO alice joined lobby");
  alice.reset();
  CHECK(inbox.next() == "INFO alice disconnected");
  expect_quiet(*bot, inbox);
  bot->send("ROOMS");
  CHECK(inbox.next() == "ROOM lobby 1");
  CHECK(inbox.next() == "END");
  s.server.stop();
}

TEST_CASE("room messages, joins and parts are events, in the order they happened") {
  RunningServer s;
  auto sink = std::make_shared<RecordingSink>();
  s.server.add_sink(sink);
  auto alice = logged_in(s.port, "alice");
  auto bob = logged_in(s.port, "bob");
  alice.send("JOIN General\n");
  alice.expect_line("OK");
  bob.send("JOIN general\n");
  bob.expect_line("OK");
  alice.expect_line("INFO bob joined General");
  bob.send("SAY general hello \x1b[31mroom\n");
  alice.expect_line("SAY General bob hello [31mroom");
  bob.send("PART general\n");
  bob.expect_line("OK");
  alice.expect_line("INFO bob left General");

  // Sinks are called after the room's members were served: wait for the last one.
  REQUIRE(sink->wait_for([](const Event& e) { return e.kind == EventKind::left; }));
  Lines seen;
  for (const auto& e : sink->events()) {
    if (e.kind == EventKind::joined || e.kind == EventKind::left ||
        e.kind == EventKind::room_message) {
      seen.push_back(std::string(to_string(e.kind)) + " " + e.user + " " + e.target + " " + e.text);
    }
  }
  CHECK(seen == Lines{"join alice General ", "join bob General ", "say bob General hello [31mroom",
                      "part bob General "});
}
