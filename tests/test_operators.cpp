// Operators and room operators over real sockets (PROTOCOL.md): KICK, BAN, UNBAN, MUTE,
// UNMUTE, and that bans and mutes hold at LOGIN, JOIN and on every message.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include <socketchat/memory_account_store.hpp>
#include <socketchat/server.hpp>

#include "support/line_client.hpp"
#include "support/running_server.hpp"

using namespace socketchat;
using namespace socketchat::test;

namespace {

struct Fixture {
  std::shared_ptr<MemoryAccountStore> store = std::make_shared<MemoryAccountStore>();
  ServerOptions options = [this] {
    ServerOptions o = loopback_options();
    o.password_hash_passes = 1;
    o.password_hash_memory_kib = 64;
    o.account_store = store;
    return o;
  }();
};

LineClient registered(std::uint16_t port, const std::string& name) {
  LineClient client(port);
  client.send("REGISTER " + name + " " + name + "-password\n");
  client.expect_line("OK");
  return client;
}

// An operator: registered, given the role, logged in again (the role is read at LOGIN).
LineClient operator_user(std::uint16_t port, MemoryAccountStore& store, const std::string& name) {
  registered(port, name).send("QUIT\n");
  REQUIRE(store.set_operator(name, true));
  for (;;) {  // until the QUIT above has freed the name
    LineClient client(port);
    client.send("LOGIN " + name + " " + name + "-password\n");
    auto reply = client.read_line();
    REQUIRE(reply);
    if (*reply == "OK") return client;
    REQUIRE(*reply == "ERR username-taken");
  }
}

void join(LineClient& client, const std::string& room) {
  client.send("JOIN " + room + "\n");
  client.expect_line("OK");
}

// Nothing more was sent to `client` before the answer to this PING.
void expect_nothing_more(LineClient& client) {
  client.send("PING quiet\n");
  client.expect_line("PONG quiet");
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "a room's operator kicks; everyone in it, the kicked too, is told") {
  RunningServer s(options);
  auto alice = registered(s.port, "alice");  // her JOIN creates the room: its operator
  join(alice, "lounge");
  auto bob = logged_in(s.port, "bob");
  join(bob, "lounge");
  alice.expect_line("INFO bob joined lounge");
  auto carol = logged_in(s.port, "carol");
  join(carol, "lounge");
  alice.expect_line("INFO carol joined lounge");
  bob.expect_line("INFO carol joined lounge");

  carol.send("KICK lounge bob\n");  // a member, not its operator
  carol.expect_line("ERR not-operator");
  alice.send("KICK lounge bob spamming the room\n");
  alice.expect_line("OK");
  alice.expect_line("KICK lounge bob alice spamming the room");
  bob.expect_line("KICK lounge bob alice spamming the room");
  carol.expect_line("KICK lounge bob alice spamming the room");
  bob.send("SAY lounge still here?\n");
  bob.expect_line("ERR not-in-room");
  alice.send("KICK lounge carol\n");  // no reason
  alice.expect_line("OK");
  alice.expect_line("KICK lounge carol alice");
  carol.expect_line("KICK lounge carol alice");

  alice.send("KICK nowhere bob\nKICK lounge nobody\nKICK lounge\n");
  alice.expect_line("ERR no-such-room");
  alice.expect_line("ERR no-such-user");
  alice.expect_line("ERR missing-argument");

  auto dave = logged_in(s.port, "dave");  // a guest's room is its creator's too
  join(dave, "den");
  join(bob, "den");
  dave.expect_line("INFO bob joined den");
  bob.send("KICK den dave\n");
  bob.expect_line("ERR not-operator");
  dave.send("KICK den bob\n");
  dave.expect_line("OK");
  dave.expect_line("KICK den bob dave");
  bob.expect_line("KICK den bob dave");
  expect_nothing_more(bob);
}

TEST_CASE_FIXTURE(Fixture, "a room ban kicks and keeps out until lifted; a mute silences") {
  RunningServer s(options);
  auto alice = registered(s.port, "alice");
  join(alice, "lounge");
  auto bob = logged_in(s.port, "bob");
  join(bob, "lounge");
  alice.expect_line("INFO bob joined lounge");

  alice.send("MUTE lounge bob\n");
  alice.expect_line("OK");
  bob.send("SAY lounge can you hear me\nMSG elsewhere I can speak\n");
  bob.expect_line("ERR muted");
  alice.expect_line("MSG bob elsewhere I can speak");  // muted in the room only
  alice.send("UNMUTE lounge bob\n");
  alice.expect_line("OK");
  bob.send("SAY lounge back again\n");
  alice.expect_line("SAY lounge bob back again");

  alice.send("BAN lounge bob\n");
  alice.expect_line("OK");
  alice.expect_line("KICK lounge bob alice banned");
  bob.expect_line("KICK lounge bob alice banned");
  bob.send("JOIN LOUNGE\n");
  bob.expect_line("ERR banned");
  alice.send("UNBAN lounge BOB\nUNBAN lounge bob\n");  // not banned any more: OK all the same
  alice.expect_line("OK");
  alice.expect_line("OK");
  join(bob, "lounge");
  alice.expect_line("INFO bob joined lounge");

  alice.send("BAN lounge not/valid\nBAN bad!room bob\nBAN * bob\n");
  alice.expect_line("ERR invalid-username");
  alice.expect_line("ERR invalid-room");
  alice.expect_line("ERR not-operator");  // server-wide: operators only
}

TEST_CASE_FIXTURE(Fixture, "an operator bans server-wide: out at once, and no LOGIN after") {
  RunningServer s(options);
  auto op = operator_user(s.port, *store, "root");
  auto bob = logged_in(s.port, "bob");
  auto carol = logged_in(s.port, "carol");
  op.send("BAN * Bob\n");
  op.expect_line("OK");
  bob.expect_line("INFO banned");
  bob.expect_eof();
  carol.expect_line("INFO bob disconnected");
  op.expect_line("INFO bob disconnected");
  LineClient again(s.port);
  again.send("LOGIN bob\nLOGIN BOB\nREGISTER bob some-password\n");
  again.expect_line("ERR banned");
  again.expect_line("ERR banned");
  again.expect_line("ERR banned");

  op.send("MUTE * carol\n");
  op.expect_line("OK");
  carol.send("MSG hello\nDM root hello\n");
  carol.expect_line("ERR muted");
  carol.expect_line("ERR muted");
  expect_nothing_more(op);

  // An operator may not be kicked or muted by a room's owner.
  auto alice = registered(s.port, "alice");
  join(alice, "lounge");
  join(op, "lounge");
  alice.expect_line("INFO root joined lounge");
  alice.send("KICK lounge root\nMUTE lounge root\n");
  alice.expect_line("ERR not-operator");
  alice.expect_line("ERR not-operator");
  op.send("KICK lounge alice\n");  // but it may kick anyone, anywhere
  op.expect_line("OK");
  op.expect_line("KICK lounge alice root");
}

TEST_CASE_FIXTURE(Fixture, "OPER with an operator's account makes any user an operator") {
  RunningServer s(options);
  registered(s.port, "root").send("QUIT\n");
  registered(s.port, "plain").send("QUIT\n");
  REQUIRE(store->set_operator("root", true));
  auto guest = logged_in(s.port, "guest");
  auto bob = logged_in(s.port, "bob");
  guest.send("BAN * bob\n");
  guest.expect_line("ERR not-operator");
  guest.send("OPER root wrong-password\nOPER nobody root-password\nOPER plain plain-password\n");
  guest.expect_line("ERR bad-credentials");
  guest.expect_line("ERR bad-credentials");
  guest.expect_line("ERR not-operator");  // the right password, but no operator's role
  guest.send("OPER root\nOPER root root-password\nBAN * bob\n");
  guest.expect_line("ERR missing-argument");
  guest.expect_line("OK");
  guest.expect_line("OK");
  bob.expect_line("INFO banned");
  bob.expect_eof();
}

TEST_CASE_FIXTURE(Fixture, "bans and mutes are bounded by max_bans") {
  options.max_bans = 2;
  RunningServer s(options);
  auto alice = registered(s.port, "alice");
  join(alice, "lounge");
  alice.send("BAN lounge u1\nMUTE lounge u2\nBAN lounge u3\nBAN lounge u1\n");
  alice.expect_line("OK");
  alice.expect_line("OK");
  alice.expect_line("ERR too-many-bans");
  alice.expect_line("OK");  // already there: takes no more room
  alice.send("UNBAN lounge u1\nBAN lounge u3\n");
  alice.expect_line("OK");
  alice.expect_line("OK");
}

TEST_CASE("before LOGIN the moderation verbs are refused like every room command") {
  RunningServer s;
  LineClient client(s.port);
  for (const char* line :
       {"KICK a b\n", "BAN a b\n", "UNBAN a b\n", "MUTE a b\n", "UNMUTE a b\n"}) {
    CAPTURE(line);
    client.send(line);
    client.expect_line("ERR not-logged-in");
  }
}
