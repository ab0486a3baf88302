// The core of PROTOCOL.md over real sockets: "Framing", "Names" and "Core commands",
// each rule checked as a client sees it, byte for byte.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include <socketchat/server.hpp>

#include "support/line_client.hpp"
#include "support/running_server.hpp"

using namespace socketchat;
using namespace socketchat::test;

TEST_CASE("no banner: the first line is the answer to the first command") {
  RunningServer s;
  LineClient client(s.port);
  client.send("PING first\n");
  client.expect_line("PONG first");
}

TEST_SUITE("LOGIN") {
  TEST_CASE("OK; the spelling given is the one others see; others are not told") {
    RunningServer s;
    auto bob = logged_in(s.port, "bob");
    LineClient naman(s.port);
    naman.send("LOGIN NaMaN\n");
    naman.expect_line("OK");
    bob.expect_quiet();  // a LOGIN is not announced

    naman.send("WHO\n");
    naman.expect_line("USER bob");
    naman.expect_line("USER NaMaN");
    naman.expect_line("END");
    naman.send("MSG hi\n");
    bob.expect_line("MSG NaMaN hi");
    CHECK(s.server.user_count() == 2);
  }

  TEST_CASE("a name is taken without regard to ASCII case") {
    RunningServer s;
    auto first = logged_in(s.port, "Naman");
    LineClient second(s.port);
    for (const char* name : {"naman", "NAMAN", "Naman", "nAMAN"}) {
      CAPTURE(name);
      second.send("LOGIN " + std::string(name) + "\n");
      second.expect_line("ERR username-taken");
    }
    first.send("WHO\n");
    first.expect_line("USER Naman");
    first.expect_line("END");
    CHECK(s.server.user_count() == 1);
  }

  TEST_CASE("invalid usernames") {
    RunningServer s;
    LineClient client(s.port);
    // Too long; not starting with a letter or digit; a character outside
    // A-Z a-z 0-9 _ . - ("café" is valid UTF-8 but not ASCII). A blank ends the name:
    // what follows is a password (below).
    const std::string too_long(33, 'a');
    const std::string names[] = {too_long,  "_alice", ".alice",     "-alice", "alice!",
                                 "al@ice",  "al/ice", "al+ice",     "ali:ce", "al,ice",
                                 "[alice]", "al'ice", "caf\xC3\xA9"};
    for (const auto& name : names) {
      CAPTURE(escaped(name));
      client.send("LOGIN " + name + "\n");
      client.expect_line("ERR invalid-username");
    }
    // No name at all is a missing argument, not an invalid name.
    for (const char* line : {"LOGIN\n", "LOGIN \n", "LOGIN \t  \n"}) {
      CAPTURE(escaped(line));
      client.send(line);
      client.expect_line("ERR missing-argument");
    }
    CHECK(s.server.user_count() == 0);
  }

  TEST_CASE("a name with a blank in it: invalid without accounts, a password with them") {
    ServerOptions options = loopback_options();
    options.accounts = ServerOptions::Accounts::off;
    RunningServer off(options);
    LineClient plain(off.port);
    for (const char* line : {"LOGIN al ice\n", "LOGIN al\tice\n", "LOGIN John Smith\n"}) {
      CAPTURE(escaped(line));
      plain.send(line);
      plain.expect_line("ERR invalid-username");
    }
    RunningServer on;  // accounts optional, the default: "ice" is al's password
    LineClient guessing(on.port);
    guessing.send("LOGIN al ice\n");
    guessing.expect_line("ERR bad-credentials");
    CHECK(off.server.user_count() + on.server.user_count() == 0);
  }

  TEST_CASE("every allowed character, and up to 32 of them") {
    RunningServer s;
    const std::string longest = "a" + std::string(30, '_') + "Z";  // 32 characters
    REQUIRE(longest.size() == 32);
    auto a = logged_in(s.port, longest);
    auto b = logged_in(s.port, "9lives");  // a digit may come first
    auto c = logged_in(s.port, "A.b_c-D.0");
    auto d = logged_in(s.port, "x");  // one character is enough
    c.send("WHO\n");
    c.expect_line("USER 9lives");
    c.expect_line("USER A.b_c-D.0");  // '.' sorts before '_'
    c.expect_line("USER " + longest);
    c.expect_line("USER x");
    c.expect_line("END");
  }

  TEST_CASE("already logged in") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    alice.send("LOGIN bob\n");
    alice.expect_line("ERR already-logged-in");
    alice.send("LOGIN alice\n");
    alice.expect_line("ERR already-logged-in");
    // The refused LOGIN took nothing: bob is still free.
    auto bob = logged_in(s.port, "bob");
    alice.send("WHO\n");
    alice.expect_line("USER alice");
    alice.expect_line("USER bob");
    alice.expect_line("END");
  }

  TEST_CASE("after a refused LOGIN the client may try again") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    LineClient client(s.port);
    client.send("LOGIN ALICE\n");
    client.expect_line("ERR username-taken");
    client.send("LOGIN _bob\n");
    client.expect_line("ERR invalid-username");
    client.send("LOGIN\n");
    client.expect_line("ERR missing-argument");
    client.send("LOGIN bob\n");
    client.expect_line("OK");
    client.send("MSG made it\n");
    alice.expect_line("MSG bob made it");
  }
}

TEST_SUITE("MSG") {
  TEST_CASE("every other logged-in user receives it; the sender and anonymous clients do not") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    auto carol = logged_in(s.port, "Carol");
    LineClient anonymous(s.port);
    anonymous.expect_quiet();  // admitted before the MSG is sent

    alice.send("MSG hello world\n");
    bob.expect_line("MSG alice hello world");
    carol.expect_line("MSG alice hello world");
    alice.expect_quiet();
    anonymous.expect_quiet();

    carol.send("MSG hi\n");
    alice.expect_line("MSG Carol hi");
    bob.expect_line("MSG Carol hi");
    carol.expect_quiet();
  }

  TEST_CASE("text: outer whitespace trimmed, inner whitespace kept exactly") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    alice.send("MSG  \t hello   big\t\tworld \t \n");
    bob.expect_line("MSG alice hello   big\t\tworld");
    alice.send("MSG\tx\n");  // a tab separates arguments too
    bob.expect_line("MSG alice x");
  }

  TEST_CASE("bare MSG or whitespace only: empty-message, nothing delivered") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    for (const char* line : {"MSG\n", "MSG    \n", "MSG \t \t\n", "MSG\r\n"}) {
      CAPTURE(escaped(line));
      alice.send(line);
      alice.expect_line("ERR empty-message");
    }
    bob.expect_quiet();
  }
}

TEST_SUITE("DM") {
  TEST_CASE("only the target receives it, as DM <sender> <text>") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    auto carol = logged_in(s.port, "carol");
    alice.send("DM bob hi there,   bob\n");
    bob.expect_line("DM alice hi there,   bob");
    alice.expect_quiet();
    carol.expect_quiet();
  }

  TEST_CASE("the target is found without regard to case; the sender is shown as spelled") {
    RunningServer s;
    auto alice = logged_in(s.port, "Alice");
    auto bob = logged_in(s.port, "Bob");
    alice.send("DM bOB psst\n");
    bob.expect_line("DM Alice psst");
    bob.send("dm ALICE\tback \tat you\t\n");
    alice.expect_line("DM Bob back \tat you");
  }

  TEST_CASE("no-such-user, including a user who has left") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    alice.send("DM nobody hi\n");
    alice.expect_line("ERR no-such-user");
    {
      auto bob = logged_in(s.port, "bob");
      bob.send("QUIT\n");
      bob.expect_eof();
    }
    alice.expect_line("INFO bob disconnected");
    alice.send("DM bob still there?\n");
    alice.expect_line("ERR no-such-user");
  }

  TEST_CASE("missing name: missing-argument; name but no text: empty-message") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    for (const char* line : {"DM\n", "DM   \n", "DM\t\r\n"}) {
      CAPTURE(escaped(line));
      alice.send(line);
      alice.expect_line("ERR missing-argument");
    }
    for (const char* line : {"DM bob\n", "DM bob   \n", "DM bob \t \r\n"}) {
      CAPTURE(escaped(line));
      alice.send(line);
      alice.expect_line("ERR empty-message");
    }
    bob.expect_quiet();
  }
}

TEST_CASE("WHO: one USER per logged-in user, sorted by ASCII lower case, then END") {
  RunningServer s;
  // Sorting by the lower-case form puts a_b before aB ('_' < 'b'); sorting the
  // spellings as given would not ('B' < '_'), nor would it put Bob after alice.
  std::vector<LineClient> clients;
  for (const char* name : {"Zed", "alice", "x.y", "Bob", "aB", "9lives", "a_b", "x-y"}) {
    clients.push_back(logged_in(s.port, name));
  }
  LineClient anonymous(s.port);  // not logged in: not listed
  anonymous.expect_quiet();
  auto& asker = clients[3];
  asker.send("WHO\n");
  for (const char* name : {"9lives", "a_b", "aB", "alice", "Bob", "x-y", "x.y", "Zed"}) {
    asker.expect_line("USER " + std::string(name));
  }
  asker.expect_line("END");
  for (auto& other : clients) other.expect_quiet();
}

TEST_CASE("PING and PONG, with and without a token, before and after LOGIN") {
  RunningServer s;
  LineClient client(s.port);
  client.send("PING\n");
  client.expect_line("PONG");
  client.send("PING abc123\n");
  client.expect_line("PONG abc123");
  client.send("LOGIN alice\n");
  client.expect_line("OK");
  client.send("PING\n");
  client.expect_line("PONG");
  client.send("PING   tok-2  \n");
  client.expect_line("PONG tok-2");
}

TEST_SUITE("QUIT") {
  TEST_CASE("closes the connection; others are told; the name is free at once") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "Bob");
    LineClient anonymous(s.port);
    anonymous.expect_quiet();

    bob.send("QUIT\n");
    bob.expect_eof();
    alice.expect_line("INFO Bob disconnected");
    anonymous.expect_quiet();  // only logged-in users are told

    // bob's EOF came after his name was released: no waiting needed.
    auto again = logged_in(s.port, "bob");
    alice.expect_quiet();
  }

  TEST_CASE("what came before QUIT is answered, what came after it is not") {
    RunningServer s;
    LineClient client(s.port);
    client.send("PING before\nQUIT\nPING after\n");
    client.expect_line("PONG before");
    client.expect_eof();
  }

  TEST_CASE("before LOGIN: closes, nobody is told") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    LineClient client(s.port);
    client.send("QUIT\n");
    client.expect_eof();
    alice.expect_quiet();
  }
}

TEST_CASE("HELP: one 'HELP <verb> <synopsis>' line per command, then END") {
  RunningServer s;
  LineClient client(s.port);
  auto check_help = [&client] {
    client.send("HELP\n");
    std::multiset<std::string> verbs;
    for (;;) {
      auto line = client.read_line();
      REQUIRE(line.has_value());
      if (*line == "END") break;
      CAPTURE(escaped(*line));
      REQUIRE(line->starts_with("HELP "));
      auto verb_end = line->find(' ', 5);
      REQUIRE(verb_end != std::string::npos);  // a synopsis follows the verb
      CHECK(line->find_first_not_of(' ', verb_end) != std::string::npos);
      verbs.insert(line->substr(5, verb_end - 5));
    }
    for (const char* verb : {"LOGIN", "MSG", "DM", "WHO", "PING", "QUIT", "HELP"}) {
      CAPTURE(verb);
      CHECK(verbs.count(verb) == 1);
    }
  };
  check_help();  // before LOGIN
  client.send("LOGIN alice\n");
  client.expect_line("OK");
  check_help();
}

TEST_CASE("an unknown verb gets unknown-command, before and after LOGIN") {
  RunningServer s;
  LineClient client(s.port);
  const char* lines[] = {"FROB\n",       "frob with args\n", "PINGX\n",
                         "LOGINalice\n", "MSGhi\n",          "WHOM\n"};
  for (const char* line : lines) {
    CAPTURE(line);
    client.send(line);
    client.expect_line("ERR unknown-command");
  }
  client.send("LOGIN alice\n");
  client.expect_line("OK");
  for (const char* line : lines) {
    CAPTURE(line);
    client.send(line);
    client.expect_line("ERR unknown-command");
  }
}

TEST_CASE("before LOGIN, MSG, DM and WHO get not-logged-in and do nothing") {
  RunningServer s;
  auto bob = logged_in(s.port, "bob");
  LineClient client(s.port);
  for (const char* line : {"MSG hi\n", "DM bob hi\n", "WHO\n", "msg hi\n"}) {
    CAPTURE(line);
    client.send(line);
    client.expect_line("ERR not-logged-in");
  }
  bob.expect_quiet();
}

TEST_CASE("verbs are case-insensitive; replies are upper case") {
  RunningServer s;
  auto bob = logged_in(s.port, "bob");
  LineClient client(s.port);
  client.send("login alice\n");
  client.expect_line("OK");
  client.send("Ping x\n");
  client.expect_line("PONG x");
  client.send("wHo\n");
  client.expect_line("USER alice");
  client.expect_line("USER bob");
  client.expect_line("END");
  client.send("msg hi\n");
  bob.expect_line("MSG alice hi");
  client.send("Dm bob yo\n");
  bob.expect_line("DM alice yo");
  client.send("hElP\n");
  auto first = client.read_line();
  REQUIRE(first.has_value());
  CHECK(first->starts_with("HELP "));
  while (auto line = client.read_line()) {
    if (*line == "END") break;
  }
  client.send("lOgIn carol\n");
  client.expect_line("ERR already-logged-in");
  client.send("quit\n");
  client.expect_eof();
  bob.expect_line("INFO alice disconnected");
}

TEST_CASE("CRLF: the CR before LF is dropped; the server sends LF only") {
  RunningServer s;
  auto bob = logged_in(s.port, "bob");
  LineClient client(s.port);
  // expect_line compares whole lines, so a CR sent back would show as \x0D.
  client.send("LOGIN alice\r\n");
  client.expect_line("OK");
  client.send("PING tok\r\n");
  client.expect_line("PONG tok");
  client.send("MSG hi there\r\n");
  bob.expect_line("MSG alice hi there");
  client.send("DM bob psst\r\n");
  bob.expect_line("DM alice psst");
  client.send("WHO\r\n");
  client.expect_line("USER alice");
  client.expect_line("USER bob");
  client.expect_line("END");
}

TEST_CASE("leading and trailing whitespace of a line is trimmed") {
  RunningServer s;
  auto bob = logged_in(s.port, "bob");
  LineClient client(s.port);
  client.send("   PING   x   \n");
  client.expect_line("PONG x");
  client.send("\tLOGIN\talice\t \n");
  client.expect_line("OK");
  client.send(" \t DM \t bob \t a  b \t \n");
  bob.expect_line("DM alice a  b");
  client.send("  WHO  \n");
  client.expect_line("USER alice");
  client.expect_line("USER bob");
  client.expect_line("END");
}

TEST_CASE("empty and whitespace-only lines are ignored, before and after LOGIN") {
  RunningServer s;
  LineClient client(s.port);
  const std::string blanks = "\n\n   \n\t\t\n \t \r\n\r\n";
  client.send(blanks + "PING one\n");
  client.expect_line("PONG one");
  client.send("LOGIN alice\n");
  client.expect_line("OK");
  client.send(blanks + "PING two\n");
  client.expect_line("PONG two");
}

TEST_CASE("several commands in one write are answered in order") {
  RunningServer s;
  auto bob = logged_in(s.port, "bob");
  LineClient client(s.port);
  client.send("LOGIN alice\nPING 1\nWHO\nMSG one\nMSG two\nPING 2\n");
  client.expect_line("OK");
  client.expect_line("PONG 1");
  client.expect_line("USER alice");
  client.expect_line("USER bob");
  client.expect_line("END");
  client.expect_line("PONG 2");
  bob.expect_line("MSG alice one");
  bob.expect_line("MSG alice two");
}

TEST_CASE("one command split across many writes") {
  RunningServer s;
  auto bob = logged_in(s.port, "bob");
  LineClient client(s.port);
  for (char c : std::string("LOGIN alice\r\n")) client.send(std::string(1, c));
  client.expect_line("OK");
  // A two-byte character split between writes is still one valid character.
  client.send("MSG caf\xC3");
  client.send("\xA9 ");
  client.send("ok\r");
  client.send("\n");
  bob.expect_line("MSG alice caf\xC3\xA9 ok");
  client.expect_quiet();
}

TEST_CASE("a client that closes its connection is announced as disconnected") {
  RunningServer s;
  auto alice = logged_in(s.port, "alice");
  { auto bob = logged_in(s.port, "bob"); }  // an orderly close (FIN) after reading everything
  alice.expect_line("INFO bob disconnected");
  alice.expect_quiet();
}

TEST_CASE("an abrupt reset is announced as a disconnect and frees the name") {
  RunningServer s;
  auto alice = logged_in(s.port, "alice");
  auto bob = logged_in(s.port, "bob");
  bob.reset();
  alice.expect_line("INFO bob disconnected");
  auto again = logged_in(s.port, "BOB");
  alice.expect_quiet();
}
