// "Limits and abuse" of PROTOCOL.md, and every kind of bad input, over real sockets:
// each limit is driven past its edge and the test checks what clients then see.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <socketchat/recording_sink.hpp>
#include <socketchat/server.hpp>

#include "support/line_client.hpp"
#include "support/running_server.hpp"

using namespace socketchat;
using namespace socketchat::test;
using namespace std::chrono_literals;

namespace {

// The text of the flooder's n-th message: numbered, so order and gaps show.
std::string numbered(int n, std::size_t padding) {
  return std::to_string(n) + " " + std::string(padding, 'p');
}

}  // namespace

TEST_CASE("the defaults of the limits") {
  const ServerOptions defaults;
  CHECK(defaults.max_line_bytes == 4096);
  CHECK(defaults.sendq_bytes == 1024 * 1024);
  CHECK(defaults.rate_per_second == 20);
  CHECK(defaults.rate_burst == 40);
  CHECK(defaults.max_connections == 10000);
  CHECK(defaults.max_connections_per_ip == 16);
  CHECK(defaults.connection_limit_exempt == std::vector<std::string>{"127.0.0.0/8", "::1"});
  CHECK(defaults.idle_timeout == 60s);
  CHECK(defaults.login_timeout == 30s);
}

TEST_SUITE("max_line_bytes") {
  TEST_CASE("a line of exactly max_line_bytes is accepted, with or without CR") {
    for (std::size_t max : {std::size_t{0}, std::size_t{64}}) {  // 0: keep the default, 4096
      auto options = loopback_options();
      if (max != 0) options.max_line_bytes = max;
      max = options.max_line_bytes;
      CAPTURE(max);
      RunningServer s(options);
      auto alice = logged_in(s.port, "alice");
      auto bob = logged_in(s.port, "bob");

      const std::string token(max - 5, 't');
      const std::string ping = "PING " + token;
      REQUIRE(ping.size() == max);
      alice.send(ping + "\n");
      alice.expect_line("PONG " + token);
      alice.send(ping + "\r\n");
      alice.expect_line("PONG " + token);
      // In pieces, so the server holds the whole line before it sees the CR and LF.
      alice.send(ping.substr(0, max / 2));
      alice.send(ping.substr(max / 2));
      alice.send("\r");
      alice.send("\n");
      alice.expect_line("PONG " + token);

      const std::string text(max - 4, 'm');
      alice.send("MSG " + text + "\r\n");
      bob.expect_line("MSG alice " + text);
    }
  }

  TEST_CASE("one byte over: line-too-long, the line is dropped, the connection stays usable") {
    auto options = loopback_options();
    options.max_line_bytes = 64;
    RunningServer s(options);
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");

    const std::string over = "MSG " + std::string(61, 'o');
    REQUIRE(over.size() == 65);
    alice.send(over + "\n");
    alice.expect_line("ERR line-too-long");
    alice.send(over + "\r\n");
    alice.expect_line("ERR line-too-long");
    alice.send(over.substr(0, 30));
    alice.send(over.substr(30));
    alice.send("\n");
    alice.expect_line("ERR line-too-long");
    // Only the one CR right before the LF is free: 64 bytes + CR is 65.
    alice.send(over.substr(0, 64) + "\r\r\n");
    alice.expect_line("ERR line-too-long");

    bob.expect_quiet();  // none of those MSGs was delivered
    alice.send("PING ok\n");
    alice.expect_line("PONG ok");
  }

  TEST_CASE("the rest of a long line is discarded up to its LF") {
    auto options = loopback_options();
    options.max_line_bytes = 64;
    RunningServer s(options);
    LineClient client(s.port);
    // Had the server cut the line at the limit, "PING hidden" would be a command.
    client.send(std::string(64, 'A') + "PING hidden\nPING ok\n");
    client.expect_line("ERR line-too-long");
    client.expect_line("PONG ok");
    // The same when the server learns the line is too long before its LF arrives.
    client.send(std::string(64, 'A'));
    client.send("x");
    client.send(" PING hidden");
    client.send(" still the same line\n");
    client.send("PING ok2\n");
    client.expect_line("ERR line-too-long");
    client.expect_line("PONG ok2");
    // Two long lines in one write: one ERR each.
    client.send(std::string(70, 'B') + "\n" + std::string(200, 'C') + "\r\nPING ok3\n");
    client.expect_line("ERR line-too-long");
    client.expect_line("ERR line-too-long");
    client.expect_line("PONG ok3");
  }

  TEST_CASE("a huge line in many chunks: one ERR, then the next command is answered") {
    RunningServer s;  // the default limit, 4096
    auto client = logged_in(s.port, "alice");
    const std::string chunk(4096, 'h');
    for (int i = 0; i < 256; ++i) client.send(chunk);  // 1 MiB without an LF
    client.send("\n");
    client.send("PING after\n");
    client.expect_line("ERR line-too-long");
    client.expect_line("PONG after");
  }
}

TEST_SUITE("UTF-8 and control characters") {
  TEST_CASE("invalid UTF-8: invalid-utf8, and the command is dropped") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    struct Case {
      const char* what;
      std::string bytes;
    };
    const Case cases[] = {
        {"bad continuation", "\xC3\x28"},
        {"lone continuation byte", "\x80"},
        {"overlong 2-byte '/'", "\xC0\xAF"},
        {"overlong 3-byte", "\xE0\x80\xAF"},
        {"overlong 4-byte", "\xF0\x80\x80\xAF"},
        {"surrogate U+D800", "\xED\xA0\x80"},
        {"surrogate U+DFFF", "\xED\xBF\xBF"},
        {"byte 0xFF", "\xFF"},
        {"byte 0xFE", "\xFE"},
        {"past U+10FFFF", "\xF4\x90\x80\x80"},
        {"5-byte form", "\xF8\x88\x80\x80\x80"},
        {"character cut by the end of the line", "\xE2\x82"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.what);
      alice.send("MSG a" + c.bytes + "z\n");
      alice.expect_line("ERR invalid-utf8");
      alice.send("DM bob " + c.bytes + "\n");
      alice.expect_line("ERR invalid-utf8");
      alice.send("PING " + c.bytes + "\r\n");
      alice.expect_line("ERR invalid-utf8");
    }
    bob.expect_quiet();  // nothing was delivered

    // The check comes before anything else, LOGIN included, and the client may go on.
    LineClient carol(s.port);
    carol.send("LOGIN car\xFFol\n");
    carol.expect_line("ERR invalid-utf8");
    carol.send("\xFF\n");
    carol.expect_line("ERR invalid-utf8");
    carol.send("LOGIN carol\n");
    carol.expect_line("OK");
  }

  TEST_CASE("valid UTF-8 at the edges is delivered unchanged") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    const std::string text =
        "x"
        "\xE0\xA0\x80"      // U+0800, the first 3-byte character
        "\xED\x9F\xBF"      // U+D7FF, just below the surrogates
        "\xEE\x80\x80"      // U+E000, just above them
        "\xF4\x8F\xBF\xBF"  // U+10FFFF, the last code point
        "\xC2\xA0"          // U+00A0, the first character after the C1 controls
        "\xE2\x82\xAC"      // the euro sign
        "y";
    alice.send("MSG " + text + "\n");
    bob.expect_line("MSG alice " + text);
  }

  TEST_CASE("controls are removed from MSG and DM text; TAB and other characters stay") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    const std::string esc = "\x1B", bel = "\x07", nul(1, '\0'), del = "\x7F";
    const std::string csi = "\xC2\x9B";  // U+009B, the C1 form of ESC [
    const std::string c1_first = "\xC2\x80", c1_last = "\xC2\x9F";
    const std::string nbsp = "\xC2\xA0";  // U+00A0, the first character after the C1 range
    const std::string e_acute = "\xC3\xA9", grinning_face = "\xF0\x9F\x98\x80";
    struct Case {
      std::string sent;
      std::string delivered;
    };
    const Case cases[] = {
        {esc + "[31mred" + esc + "[0m", "[31mred[0m"},        // no colours, no cursor moves
        {esc + "]0;title" + bel + "after", "]0;titleafter"},  // an OSC sequence
        {"ding" + bel + "dong", "dingdong"},
        {"nul" + nul + "byte", "nulbyte"},
        {"del" + del + "ete", "delete"},
        {"csi" + csi + "31m", "csi31m"},
        {c1_first + "c1" + c1_last + "edges", "c1edges"},
        {"car\rriage", "carriage"},  // a CR that is not right before the LF
        {"v\vt\ff", "vtf"},          // vertical tab, form feed
        {"\x01\x02\x03x\x1F", "x"},
        {"tab\tkept", "tab\tkept"},
        {"caf" + e_acute + " " + grinning_face, "caf" + e_acute + " " + grinning_face},
        {"nbsp" + nbsp + "kept", "nbsp" + nbsp + "kept"},
    };
    for (const auto& c : cases) {
      CAPTURE(escaped(c.sent));
      alice.send("MSG " + c.sent + "\n");
      bob.expect_line("MSG alice " + c.delivered);
      alice.send("DM bob " + c.sent + "\n");
      bob.expect_line("DM alice " + c.delivered);
    }
    alice.expect_quiet();
  }

  TEST_CASE("a text made only of controls (and blanks) is an empty message") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    for (const std::string text : {"\x1B\x07\x7F\xC2\x9B", "\x01\x02", "\x1B \x07\t\x08"}) {
      CAPTURE(escaped(text));
      alice.send("MSG " + text + "\n");
      alice.expect_line("ERR empty-message");
      alice.send("DM bob " + text + "\n");
      alice.expect_line("ERR empty-message");
    }
    bob.expect_quiet();
  }
}

TEST_CASE("sendq_bytes: a slow reader is disconnected; nobody else waits for it") {
  auto options = loopback_options();
  options.sendq_bytes = 64 * 1024;
  RunningServer s(options);
  auto events = std::make_shared<RecordingSink>();
  s.server.add_sink(events);
  auto gave_up_on_slow = [&events] {
    return events->wait_for(
        [](const Event& e) {
          return e.kind == EventKind::error && e.detail == "sendq-exceeded" && e.user == "slow";
        },
        0ms);  // only look: the loop below keeps flooding until it happens
  };

  // A tiny receive window, and it never reads after its OK: its output backs up.
  auto slow = logged_in(s.port, "slow", {.receive_buffer = 4096});
  auto flooder = logged_in(s.port, "flooder");
  auto reader = logged_in(s.port, "reader");

  constexpr std::size_t padding = 400;
  constexpr int batch = 64;             // ~27 KB a round: the reader's queue stays small
  constexpr int most_messages = 20000;  // ~8 MB: far past any socket buffers
  // Between the server's queue and the slow reader sit socket buffers: its own 8 KiB
  // receive buffer and the server's send buffer at a usual size (tens of KiB).
  // 256 KiB covers them, and the round in flight when the server gives up.
  constexpr std::size_t allowance = 256 * 1024;
  std::size_t owed_to_slow = 0;  // bytes of MSG lines the slow reader has not read
  int sent = 0;
  int received = 0;
  int departures = 0;  // "INFO slow disconnected" seen by the reader
  auto take_reader_line = [&] {
    auto line = reader.read_line();
    REQUIRE(line.has_value());
    if (*line == "INFO slow disconnected") {
      ++departures;
    } else {
      REQUIRE(*line == "MSG flooder " + numbered(received, padding));
      ++received;
    }
  };
  while (!gave_up_on_slow() && sent < most_messages) {
    std::string burst;
    for (int i = 0; i < batch; ++i) {
      std::string text = numbered(sent++, padding);
      owed_to_slow += ("MSG flooder " + text + "\n").size();
      burst += "MSG " + text + "\n";
    }
    flooder.send(burst);
    while (received < sent) take_reader_line();  // every message, in order
  }
  REQUIRE(gave_up_on_slow());
  CAPTURE(sent);
  // It was closed once it fell sendq_bytes behind, not megabytes later.
  CHECK(owed_to_slow <= options.sendq_bytes + allowance);

  // The departure is queued before the error is reported, so it precedes this PONG.
  reader.send("PING end\n");
  for (;;) {
    auto line = reader.read_line();
    REQUIRE(line.has_value());
    if (*line == "PONG end") break;
    CHECK(*line == "INFO slow disconnected");
    ++departures;
  }
  CHECK(departures == 1);
  flooder.expect_line("INFO slow disconnected");
  flooder.expect_quiet();
  CHECK(s.server.user_count() == 2);
  auto again = logged_in(s.port, "SLOW");  // the name is free at once

  // The slow reader got a prefix of the messages, in order, then the close (a line
  // cut by the close is not counted).
  int got = 0;
  while (auto line = slow.read_line()) {
    REQUIRE(*line == "MSG flooder " + numbered(got, padding));
    ++got;
  }
  CHECK(slow.closed());
  CHECK(got < sent);
}

TEST_SUITE("rate limit") {
  TEST_CASE("rate 1/s, burst 3: ten PINGs in one write get 3 PONG, then 7 rate-limited") {
    auto options = loopback_options();
    options.rate_per_second = 1;
    options.rate_burst = 3;
    RunningServer s(options);
    LineClient client(s.port);
    std::string burst;
    for (int i = 1; i <= 10; ++i) burst += "PING " + std::to_string(i) + "\n";
    client.send(burst);
    for (int i = 1; i <= 3; ++i) client.expect_line("PONG " + std::to_string(i));
    for (int i = 4; i <= 10; ++i) client.expect_line("ERR rate-limited");
  }

  TEST_CASE("a rate-limited command is dropped; the limit is per connection") {
    auto options = loopback_options();
    options.rate_per_second = 1;
    options.rate_burst = 3;
    RunningServer s(options);
    auto bob = logged_in(s.port, "bob");
    LineClient alice(s.port);
    alice.send("LOGIN alice\nMSG 1\nMSG 2\nMSG 3\nWHO\n");
    alice.expect_line("OK");
    alice.expect_line("ERR rate-limited");  // MSG 3
    alice.expect_line("ERR rate-limited");  // WHO
    bob.expect_line("MSG alice 1");
    bob.expect_line("MSG alice 2");
    bob.expect_quiet();  // MSG 3 never came; bob's own budget is untouched by alice's
  }
}

TEST_CASE("max_connections: the extra one gets server-full and is closed; a freed slot is reused") {
  auto options = loopback_options();
  options.max_connections = 3;
  RunningServer s(options);
  auto alice = logged_in(s.port, "alice");
  LineClient second(s.port);
  second.expect_quiet();
  LineClient third(s.port);
  third.expect_quiet();

  LineClient extra(s.port);
  extra.expect_line("ERR server-full");
  extra.expect_eof();
  CHECK(s.server.connection_count() == 3);

  second.send("QUIT\n");
  second.expect_eof();
  REQUIRE(eventually([&] { return s.server.connection_count() == 2; }));
  LineClient admitted(s.port);
  admitted.expect_quiet();
  LineClient refused(s.port);
  refused.expect_line("ERR server-full");
  refused.expect_eof();
  alice.expect_quiet();
}

TEST_CASE("max_connections: a client that sends LOGIN at once still reads server-full") {
  auto options = loopback_options();
  options.max_connections = 1;
  RunningServer s(options);
  auto alice = logged_in(s.port, "alice");
  LineClient eager(s.port);
  eager.send("LOGIN bob\n");  // real clients do not wait for a greeting
  eager.expect_line("ERR server-full");
  eager.expect_eof();
  alice.expect_quiet();
}

TEST_CASE("max_connections_per_ip: too-many-connections; other addresses are still admitted") {
  auto options = loopback_options();
  options.max_connections_per_ip = 2;
  options.connection_limit_exempt = {};  // loopback is exempt by default
  RunningServer s(options);
  const ClientOptions from_2{.local_address = "127.0.0.2"};

  LineClient a1(s.port), a2(s.port);
  a1.expect_quiet();
  a2.expect_quiet();
  LineClient a3(s.port);
  a3.expect_line("ERR too-many-connections");
  a3.expect_eof();

  LineClient b1(s.port, from_2), b2(s.port, from_2);
  b1.expect_quiet();
  b2.expect_quiet();
  LineClient b3(s.port, from_2);
  b3.expect_line("ERR too-many-connections");
  b3.expect_eof();

  a1.send("QUIT\n");
  a1.expect_eof();
  REQUIRE(eventually([&] { return s.server.connection_count() == 3; }));
  LineClient a4(s.port);
  a4.expect_quiet();
}

TEST_SUITE("timeouts") {
  TEST_CASE("idle: told and closed, others told, while a client that PINGs stays") {
    auto options = loopback_options();
    options.idle_timeout = 300ms;
    RunningServer s(options);
    auto pinger = logged_in(s.port, "pinger");  // older than `idle`: only its PINGs keep it
    const auto idle_since = Clock::now();
    auto idle = logged_in(s.port, "idle");

    bool told = false;  // pinger may learn of the departure between two PINGs
    std::optional<std::string> notice;
    while (!(notice = idle.read_line(50ms))) {  // a PING every 50 ms meanwhile
      REQUIRE_FALSE(idle.closed());
      REQUIRE(Clock::now() - idle_since < default_wait);
      pinger.send("PING\n");
      auto line = pinger.read_line();
      REQUIRE(line.has_value());
      if (*line == "INFO idle disconnected") {
        told = true;
        line = pinger.read_line();
        REQUIRE(line.has_value());
      }
      CHECK(*line == "PONG");
    }
    CHECK(*notice == "INFO disconnected due to inactivity");
    CHECK(Clock::now() - idle_since >= options.idle_timeout);
    idle.expect_eof();
    if (!told) pinger.expect_line("INFO idle disconnected");
    pinger.expect_quiet();
    auto again = logged_in(s.port, "idle");  // the name is free at once
  }

  TEST_CASE("idle: any line counts as input: an empty, an invalid or a too-long one") {
    auto options = loopback_options();
    options.idle_timeout = 300ms;
    options.login_timeout = 0ms;
    options.max_line_bytes = 64;
    RunningServer s(options);
    // Each keeper sends one kind of line only, and must survive a client that is
    // younger than its last command.
    struct Keeper {
      LineClient client;
      std::string line;
      std::string reply;  // what the line is answered, if anything
    };
    std::vector<Keeper> keepers;
    keepers.push_back({LineClient(s.port), "\n", ""});
    keepers.push_back({LineClient(s.port), "\xFF\n", "ERR invalid-utf8"});
    keepers.push_back({LineClient(s.port), std::string(100, 'x') + "\n", "ERR line-too-long"});
    for (auto& keeper : keepers) keeper.client.expect_quiet();  // their last command

    const auto since = Clock::now();
    LineClient idle(s.port);
    std::optional<std::string> notice;
    while (!(notice = idle.read_line(50ms))) {
      REQUIRE_FALSE(idle.closed());
      REQUIRE(Clock::now() - since < default_wait);
      for (auto& keeper : keepers) {
        keeper.client.send(keeper.line);
        if (!keeper.reply.empty()) keeper.client.expect_line(keeper.reply);
      }
    }
    CHECK(*notice == "INFO disconnected due to inactivity");
    idle.expect_eof();
    for (auto& keeper : keepers) {
      CAPTURE(escaped(keeper.line.substr(0, 8)));
      keeper.client.expect_quiet();  // older than `idle`, yet still open
    }
  }

  TEST_CASE("login: a client that has not logged in in time is told and closed") {
    auto options = loopback_options();
    options.login_timeout = 300ms;
    RunningServer s(options);
    auto alice = logged_in(s.port, "alice");  // logged in: the login timeout is over for her
    const auto since = Clock::now();
    LineClient late(s.port);
    late.expect_line("INFO disconnected due to inactivity");
    CHECK(Clock::now() - since >= options.login_timeout);
    late.expect_eof();
    alice.expect_quiet();  // still open, and a client that never logged in is not announced
  }
}

TEST_SUITE("graceful stop") {
  TEST_CASE("every client, logged in or not, is told and closed; stop() returns") {
    RunningServer s;
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    LineClient anonymous(s.port);
    anonymous.expect_quiet();
    LineClient partial(s.port);
    partial.expect_quiet();
    partial.send("MSG half a li");  // a line in progress does not hold the stop up

    s.server.stop();
    CHECK(s.server.connection_count() == 0);
    CHECK(s.server.user_count() == 0);
    for (auto* client : {&alice, &bob, &anonymous, &partial}) {
      client->expect_line("INFO server shutting down");
      client->expect_eof();
    }
  }

  TEST_CASE("queued output is flushed before the close") {
    auto options = loopback_options();
    options.shutdown_timeout = default_wait;
    options.sendq_bytes = 0;  // unlimited, so the backlog below stays queued
    RunningServer s(options);
    auto slow = logged_in(s.port, "slow", {.receive_buffer = 4096});
    auto flooder = logged_in(s.port, "flooder");
    // ~8 MB: more than the socket buffers hold (the kernel may grow the server's
    // send buffer to a few MiB), so most of it waits in the server's own queue.
    constexpr int count = 8000;
    std::string burst;
    for (int i = 0; i < count; ++i) burst += "MSG " + numbered(i, 1000) + "\n";
    flooder.send(burst + "PING sync\n");
    flooder.expect_line("PONG sync");  // all of it is now queued for slow

    std::jthread stopper([&] { s.server.stop(); });
    for (int i = 0; i < count; ++i) {
      auto line = slow.read_line();
      REQUIRE(line.has_value());
      REQUIRE(*line == "MSG flooder " + numbered(i, 1000));
    }
    slow.expect_line("INFO server shutting down");
    slow.expect_eof();
    flooder.expect_line("INFO server shutting down");
    flooder.expect_eof();
  }

  TEST_CASE("a client that never reads holds the stop up for shutdown_timeout at most") {
    auto options = loopback_options();
    options.shutdown_timeout = 200ms;
    options.sendq_bytes = 0;  // unlimited, so the backlog below stays queued
    RunningServer s(options);
    auto slow = logged_in(s.port, "slow", {.receive_buffer = 4096});
    auto flooder = logged_in(s.port, "flooder");
    std::string burst;  // ~8 MB, as above: most of it waits in the server's queue
    for (int i = 0; i < 8000; ++i) burst += "MSG " + numbered(i, 1000) + "\n";
    flooder.send(burst + "PING sync\n");
    flooder.expect_line("PONG sync");

    std::atomic<bool> stopped{false};
    std::jthread stopper([&] {
      s.server.stop();
      stopped = true;
    });
    CHECK(eventually([&] { return stopped.load(); }, 2s));
    slow.reset();  // lets a server that ignored the deadline finish, so the test ends
    stopper.join();
    flooder.expect_line("INFO server shutting down");
    flooder.expect_eof();
  }
}

TEST_CASE("abrupt resets, mid-line or not, leave the server serving everyone else") {
  RunningServer s;
  auto alice = logged_in(s.port, "alice");
  for (int i = 0; i < 20; ++i) {
    const std::string name = "u" + std::to_string(i);
    CAPTURE(name);
    switch (i % 4) {
      case 0: {  // not logged in, half a line sent
        LineClient c(s.port);
        c.send("MSG half a li");
        c.reset();
        break;
      }
      case 1: {  // logged in, half a MSG sent
        auto c = logged_in(s.port, name);
        c.send("MSG half a li");
        c.reset();
        alice.expect_line("INFO " + name + " disconnected");
        break;
      }
      case 2: {  // LOGIN without its LF
        LineClient c(s.port);
        c.send("LOGIN " + name);
        c.reset();
        break;
      }
      case 3: {  // logged in, inside a too-long line
        auto c = logged_in(s.port, name);
        c.send(std::string(100000, 'x'));
        c.reset();
        alice.expect_line("INFO " + name + " disconnected");
        break;
      }
    }
  }
  alice.expect_quiet();  // no half MSG was delivered
  CHECK(eventually([&] { return s.server.connection_count() == 1; }));
  CHECK(s.server.user_count() == 1);
  auto again = logged_in(s.port, "u1");       // the names are free
  auto unfinished = logged_in(s.port, "u2");  // the unfinished LOGIN took nothing
}

TEST_CASE("many connections: 200 clients log in, one MSG reaches the 199 others") {
  auto options = loopback_options();
  options.max_connections = 0;  // 0: unlimited
  RunningServer s(options);
  constexpr int count = 200;
  std::vector<LineClient> clients;
  clients.reserve(count);
  auto name_of = [](int i) {
    std::string digits = std::to_string(i);
    return "user" + std::string(3 - digits.size(), '0') + digits;
  };
  for (int i = 0; i < count; ++i) clients.push_back(logged_in(s.port, name_of(i)));
  CHECK(s.server.connection_count() == count);
  CHECK(s.server.user_count() == count);

  clients[0].send("MSG hello everyone\n");
  for (int i = 1; i < count; ++i) clients[i].expect_line("MSG user000 hello everyone");
  clients[0].expect_quiet();

  clients[count - 1].send("WHO\n");
  for (int i = 0; i < count; ++i) clients[count - 1].expect_line("USER " + name_of(i));
  clients[count - 1].expect_line("END");
}
