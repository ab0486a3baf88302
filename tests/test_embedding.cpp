// The API a host program uses: in-process users, the moderation filter, a server on
// the host's own io_context, and run-time reconfiguration. Real sockets throughout.
#include <doctest/doctest.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <stdexcept>
#include <thread>

#include "socketchat/error.hpp"
#include "socketchat/recording_sink.hpp"
#include "socketchat/server.hpp"
#include "support/inbox.hpp"
#include "support/line_client.hpp"

using namespace socketchat;
using socketchat::test::Inbox;
using socketchat::test::LineClient;
using socketchat::test::logged_in;

namespace {

ServerOptions loopback() {
  ServerOptions options;
  options.listen("tcp://127.0.0.1:0");
  options.threads = 2;
  return options;
}

}  // namespace

TEST_CASE("an in-process user is seen and heard like a remote one") {
  Server server{loopback()};
  server.start();
  Inbox inbox([](const Incoming& in) {  // "<kind>|<from>|<text>": no rooms here
    return std::string(in.kind) + "|" + std::string(in.from) + "|" + std::string(in.text);
  });
  auto bot = server.connect("Bot", inbox.handler());
  CHECK(bot->name() == "Bot");

  auto alice = logged_in(server.port(), "alice");
  alice.send("WHO\n");
  alice.expect_line("USER alice");
  alice.expect_line("USER Bot");
  alice.expect_line("END");

  alice.send("MSG hello bot\n");
  REQUIRE(inbox.wait_for("MSG alice hello bot"));
  alice.send("DM bot psst\n");
  REQUIRE(inbox.wait_for("DM alice psst"));
  CHECK(inbox.parts().back() == "DM|alice|psst");

  bot->say("hi all");
  alice.expect_line("MSG Bot hi all");
  bot->direct("alice", "just you");
  alice.expect_line("DM Bot just you");
  bot->send("DM nobody x");
  REQUIRE(inbox.wait_for("ERR no-such-user"));
  bot->say("two\nlines");  // a line break cannot smuggle in a second command
  alice.expect_line("MSG Bot twolines");

  auto bob = logged_in(server.port(), "bob");
  bob.reset();
  REQUIRE(inbox.wait_for("INFO bob disconnected"));
  alice.expect_line("INFO bob disconnected");

  bot.reset();  // dropping the handle logs the user out
  alice.expect_line("INFO Bot disconnected");
  auto again = logged_in(server.port(), "bot");  // and frees the name
  server.stop();
}

TEST_CASE("an in-process user can answer from inside its handler") {
  Server server{loopback()};
  server.start();
  auto echo = server.connect("echo", [](LocalUser& self, const Incoming& in) {
    if (in.kind == "DM") self.direct(in.from, "echo: " + std::string(in.text));
  });
  auto alice = logged_in(server.port(), "alice");
  alice.send("DM echo are you there?\n");
  alice.expect_line("DM echo echo: are you there?");
  server.stop();
}

TEST_CASE("connect() refuses a taken or invalid name") {
  Server server{loopback()};
  CHECK_THROWS_AS(server.connect("early", {}), config_error);  // not started yet
  server.start();
  auto alice = logged_in(server.port(), "alice");
  CHECK_THROWS_AS(server.connect("ALICE", {}), config_error);
  CHECK_THROWS_AS(server.connect("not valid", {}), config_error);
  auto ok = server.connect("fine", {});
  CHECK(server.user_count() == 2);
  server.stop();
}

TEST_CASE("an exception from a handler is reported, and the server carries on") {
  Server server{loopback()};
  auto sink = std::make_shared<RecordingSink>();
  server.add_sink(sink);
  server.start();
  auto grumpy = server.connect(
      "grumpy", [](LocalUser&, const Incoming&) { throw std::runtime_error("handler bug"); });
  auto alice = logged_in(server.port(), "alice");
  alice.send("DM grumpy hi\n");
  CHECK(sink->wait_for([](const Event& e) {
    return e.kind == EventKind::error && e.detail == "handler-failed" && e.text == "handler bug";
  }));
  alice.expect_quiet();
  server.stop();
}

TEST_CASE("an in-process user is told when the server shuts down, and may outlive it") {
  Inbox inbox;
  std::shared_ptr<LocalUser> survivor;
  {
    Server server{loopback()};
    server.start();
    survivor = server.connect("survivor", inbox.handler());
    server.stop();
    CHECK(inbox.wait_for("INFO server shutting down"));
  }
  survivor->say("anyone?");  // the server is gone: nothing happens
  survivor->disconnect();
}

TEST_CASE("the moderation filter rejects, rewrites and cleans messages before delivery") {
  Server server{loopback()};
  auto sink = std::make_shared<RecordingSink>();
  server.add_sink(sink);
  server.set_message_filter([](MessageDraft& draft) {
    if (draft.text.find("spam") != std::string::npos) return Verdict::reject;
    if (draft.text == "boom") throw std::runtime_error("filter bug");
    if (draft.text == "inject") draft.text = "x\nWHO\x1b[2J";
    if (draft.text == "erase") draft.text = " \x01 ";
    if (auto at = draft.text.find("darn"); at != std::string::npos)
      draft.text.replace(at, 4, "d**n");
    if (!draft.to.empty()) draft.text += " (to " + std::string(draft.to) + ")";
    return Verdict::deliver;
  });
  server.start();
  CHECK_THROWS_AS(server.set_message_filter({}), config_error);

  auto alice = logged_in(server.port(), "alice");
  auto bob = logged_in(server.port(), "Bob");

  alice.send("MSG buy spam now\n");
  alice.expect_line("ERR message-rejected");
  bob.expect_quiet();

  alice.send("MSG darn it\n");
  bob.expect_line("MSG alice d**n it");

  alice.send("DM bob darn\n");
  bob.expect_line("DM alice d**n (to Bob)");

  alice.send("MSG inject\n");  // a rewrite is cleaned like any text: no second line
  bob.expect_line("MSG alice xWHO[2J");
  bob.expect_quiet();

  alice.send("MSG erase\n");  // nothing left after cleaning: rejected
  alice.expect_line("ERR message-rejected");

  alice.send("MSG boom\n");  // a failing filter fails closed, and says so
  alice.expect_line("ERR message-rejected");
  bob.expect_quiet();
  CHECK(sink->wait_for([](const Event& e) {
    return e.kind == EventKind::error && e.detail == "filter-failed" && e.text == "filter bug";
  }));
  server.stop();
}

TEST_CASE("a server on the host's io_context runs beside the host's own work") {
  asio::io_context io;
  ServerOptions options;
  options.listen("tcp://127.0.0.1:0");
  Server server{options, io};
  server.start();
  CHECK_THROWS_AS(server.run(), config_error);

  std::atomic<int> ticks{0};
  asio::steady_timer timer(io);
  std::function<void()> tick = [&] {
    timer.expires_after(std::chrono::milliseconds{5});
    timer.async_wait([&](std::error_code ec) {
      if (!ec && !server.stopped()) ++ticks, tick();
    });
  };
  tick();
  std::thread host([&] { io.run(); });

  auto alice = logged_in(server.port(), "alice");
  auto bob = logged_in(server.port(), "bob");
  alice.send("MSG from the host's loop\n");
  bob.expect_line("MSG alice from the host's loop");
  CHECK(socketchat::test::eventually([&] { return ticks >= 2; }));  // the host's timer runs too

  server.stop();  // begins the stop; the host's thread completes it
  alice.expect_line("INFO server shutting down");
  alice.expect_eof();
  server.wait();
  CHECK(server.stopped());
  timer.cancel();
  host.join();  // io.run() returns: the server left no work behind
}

TEST_CASE("reconfigure() changes limits for open connections, or nothing at all") {
  Server server{loopback()};
  server.start();
  auto alice = logged_in(server.port(), "alice");

  ServerOptions strict = loopback();
  strict.rate_per_second = 1;
  strict.rate_burst = 1;
  strict.max_connections = 1;
  CHECK(server.reconfigure(strict).empty());
  alice.send("PING 1\nPING 2\n");
  alice.expect_line("PONG 1");
  alice.expect_line("ERR rate-limited");
  LineClient refused(server.port());
  refused.expect_line("ERR server-full");
  refused.expect_eof();

  ServerOptions invalid = strict;
  invalid.rate_per_second = 0;  // would lift the rate limit, but...
  invalid.max_line_bytes = 8;   // ...this is invalid, so nothing changes
  CHECK_THROWS_AS(server.reconfigure(invalid), config_error);
  alice.send("PING 3\n");
  alice.expect_line("ERR rate-limited");

  ServerOptions moved = loopback();
  moved.listeners = {"tcp://127.0.0.1:1"};
  moved.threads = 1;
  CHECK(server.reconfigure(moved) == std::vector<std::string>{"listeners", "threads"});
  server.stop();
}

TEST_CASE("an in-process user's typed commands: rooms, lists and history, no lines typed") {
  Server server{loopback()};
  server.start();
  Inbox inbox;
  auto bot = server.connect("Bot", inbox.handler());
  auto alice = logged_in(server.port(), "alice");
  alice.send("JOIN lobby\n");
  alice.expect_line("OK");

  bot->join("lobby");
  REQUIRE(inbox.wait_for("OK"));
  alice.expect_line("INFO Bot joined lobby");
  bot->say_in("lobby", "  in the lobby\x1b[2J ");  // cleaned as any client's text
  alice.expect_line("SAY lobby Bot in the lobby[2J");
  bot->who("LOBBY");
  REQUIRE(inbox.wait_for("USER Bot"));
  bot->rooms();
  REQUIRE(inbox.wait_for("ROOM lobby 2"));
  bot->history(HistoryOf::room, "lobby", 1);
  CHECK(inbox.wait_for_start("HIST lobby ", "Bot in the lobby[2J"));
  bot->direct("alice", "psst");
  alice.expect_line("DM Bot psst");
  bot->history(HistoryOf::user, "ALICE");
  CHECK(inbox.wait_for_start("HIST @ALICE ", "Bot psst"));
  bot->say("to all");
  alice.expect_line("MSG Bot to all");
  bot->history(HistoryOf::everyone);
  CHECK(inbox.wait_for_start("HIST * ", "Bot to all"));
  bot->part("lobby");
  alice.expect_line("INFO Bot left lobby");

  bot->send(Command{.verb = Verb::ping, .text = "typed"});
  REQUIRE(inbox.wait_for("PONG typed"));
  bot->direct("alice bob", "hi");  // a name is taken as given: no such user
  REQUIRE(inbox.wait_for("ERR no-such-user"));
  bot->say("\xff\xfe");  // not UTF-8: refused, as a client's line would be
  REQUIRE(inbox.wait_for("ERR invalid-utf8"));
  bot->say(" \x01 ");  // nothing left once cleaned
  REQUIRE(inbox.wait_for("ERR empty-message"));
  alice.expect_quiet();
  server.stop();
}
