// The Authenticator hook: LOGIN decided by the host, at once or later from another
// thread, over real sockets with the line protocol and IRC.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "socketchat/error.hpp"
#include "socketchat/recording_sink.hpp"
#include "socketchat/server.hpp"
#include "support/line_client.hpp"

using namespace socketchat;
using socketchat::test::eventually;
using socketchat::test::LineClient;
using socketchat::test::logged_in;
using std::chrono::milliseconds;

namespace {

// Decides as the test says: the names in `refused` are refused at once with `code`,
// those in `renamed` accepted at once under another name; with `hold` set every other
// request waits until the test answers it (answer_later, from a thread of its own),
// else it is accepted at once.
class TestAuthenticator final : public Authenticator {
 public:
  std::set<std::string> refused;
  ReplyError code = ReplyError::invalid_username;
  std::map<std::string, std::string> renamed;
  bool hold = false;
  bool throws = false;

  void authenticate(const LoginRequest& request, Done done) override {
    if (throws) throw std::runtime_error("the accounts database is gone");
    const std::string name(request.name);
    std::unique_lock lock(mutex_);
    requests_.push_back(request_of(request));
    if (refused.contains(name)) return done(LoginResult::refuse(code));
    if (auto it = renamed.find(name); it != renamed.end()) {
      return done(LoginResult::accept(it->second));
    }
    if (!hold) return done(LoginResult::accept());
    held_.push_back(std::move(done));
    changed_.notify_all();
  }

  // Waits until `n` requests are held; false after five seconds.
  bool holding(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds{5}, [&] { return held_.size() >= n; });
  }

  // Answers the oldest held request from a thread of its own, as a slow service would;
  // returns once that thread has answered. `times` > 1 answers more than once.
  void answer_later(LoginResult result, int times = 1) {
    Done done;
    {
      std::lock_guard lock(mutex_);
      REQUIRE_FALSE(held_.empty());
      done = std::move(held_.front());
      held_.pop_front();
    }
    std::thread([&] {
      for (int i = 0; i < times; ++i) done(result);
    }).join();
  }

  // "<name> <remote> <connection> <password>|<token>|<transport>|<plain or encrypted>"
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  static std::string request_of(const LoginRequest& r) {
    return std::string(r.name) + " " + std::string(r.remote) + " " + std::to_string(r.connection) +
           " " + std::string(r.password) + "|" + std::string(r.token) + "|" +
           std::string(r.transport) + (r.encrypted ? "|encrypted" : "|plain");
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Done> held_;
  std::vector<std::string> requests_;
};

struct Fixture {
  std::shared_ptr<TestAuthenticator> authenticator = std::make_shared<TestAuthenticator>();
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  std::unique_ptr<Server> server;

  Fixture() {
    ServerOptions options;
    options.listen("tcp://127.0.0.1:0");
    options.listen("irc://127.0.0.1:0");
    options.server_name = "socketchat";
    options.threads = 2;
    server = std::make_unique<Server>(options);
    server->add_sink(sink);
    server->set_authenticator(authenticator);
    server->start();
  }
  ~Fixture() { server->stop(); }

  std::uint16_t line_port() const { return server->port(0); }
  std::uint16_t irc_port() const { return server->port(1); }

  // An IRC client that has registered as `nick` and sent a PING, all of it waiting for
  // the authenticator (hold), nothing answered yet.
  LineClient irc_waiting(std::string_view nick) {
    authenticator->hold = true;
    LineClient irc(irc_port());
    irc.send("NICK " + std::string(nick) + "\r\nUSER " + std::string(nick) +
             " 0 * :" + std::string(nick) + "\r\nPING :after\r\n");
    REQUIRE(authenticator->holding(1));
    CHECK_FALSE(irc.read_line(milliseconds{100}).has_value());
    return irc;
  }

  // A connection has ended and the server has done with it (its disconnect event).
  bool disconnected() {
    return sink->wait_for([](const Event& e) { return e.kind == EventKind::disconnect; });
  }
};

bool logged_in_as(const RecordingSink& sink, std::string_view name) {
  for (const auto& e : sink.events()) {
    if (e.kind == EventKind::login && e.view().user == name) return true;
  }
  return false;
}

// An IRC line as received, without its CR.
std::string irc_line(LineClient& client) {
  auto line = client.read_line();
  REQUIRE(line.has_value());
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return *line;
}

// Registers over IRC as `nick`, with nothing after USER.
void register_irc(LineClient& client, std::string_view nick) {
  client.send("NICK " + std::string(nick) + "\r\nUSER " + std::string(nick) +
              " 0 * :" + std::string(nick) + "\r\n");
}

}  // namespace

TEST_CASE("set_authenticator: before start() only") {
  ServerOptions options;
  options.listen("tcp://127.0.0.1:0");
  Server server{options};
  server.set_authenticator(nullptr);  // none: the default
  server.start();
  CHECK_THROWS_AS(server.set_authenticator(std::make_shared<TestAuthenticator>()), config_error);
  auto alice = logged_in(server.port(), "alice");  // any valid free name, as ever
  server.stop();
}

TEST_CASE_FIXTURE(Fixture, "a refused LOGIN gets the authenticator's code, and may be retried") {
  authenticator->refused = {"mallory"};
  LineClient client(line_port());
  client.send("LOGIN mallory\n");
  client.expect_line("ERR invalid-username");
  client.send("LOGIN bad name\n");  // not a valid name: refused before it is asked
  client.expect_line("ERR invalid-username");
  client.send("LOGIN alice\nWHO\n");
  client.expect_line("OK");
  client.expect_line("USER alice");
  client.expect_line("END");
  CHECK(server->user_count() == 1);

  authenticator->code = ReplyError::username_taken;
  LineClient other(line_port());
  other.send("LOGIN mallory\n");
  other.expect_line("ERR username-taken");

  const auto asked = authenticator->requests();
  REQUIRE(asked.size() == 3);
  CHECK(asked[0].rfind("mallory 127.0.0.1:", 0) == 0);
  CHECK(asked[1].rfind("alice 127.0.0.1:", 0) == 0);
  for (const auto& request : asked) {
    CAPTURE(request);
    CHECK(request.find(" 0 ") == std::string::npos);  // a connection number is given
    // No password or token yet; the transport the connection came over, not encrypted.
    CHECK(request.ends_with(" ||tcp|plain"));
  }
}

TEST_CASE_FIXTURE(Fixture, "an accepted LOGIN is under the name the authenticator gives, unique") {
  authenticator->renamed = {{"alice", "Alice"}, {"ally", "ALICE"}, {"odd", "not valid"}};
  LineClient alice(line_port());
  alice.send("LOGIN alice\n");
  alice.expect_line("OK");
  LineClient other(line_port());
  other.send("LOGIN ally\n");  // Alice's name again, spelled otherwise: taken
  other.expect_line("ERR username-taken");
  other.send("LOGIN odd\n");  // a name that is not valid is refused, whoever gives it
  other.expect_line("ERR invalid-username");
  other.send("LOGIN bob\nWHO\n");
  other.expect_line("OK");
  other.expect_line("USER Alice");
  other.expect_line("USER bob");
  other.expect_line("END");
  CHECK(logged_in_as(*sink, "Alice"));
}

TEST_CASE_FIXTURE(Fixture, "an answer from another thread: the commands after LOGIN wait for it") {
  auto bob = logged_in(line_port(), "bob");  // answered at once
  authenticator->hold = true;
  LineClient alice(line_port());
  alice.send("LOGIN alice\nWHO\nPING x\n");
  REQUIRE(authenticator->holding(1));
  CHECK_FALSE(alice.read_line(milliseconds{100}).has_value());  // nothing yet
  bob.send("WHO\n");                                            // nor is alice anyone's yet
  bob.expect_line("USER bob");
  bob.expect_line("END");

  authenticator->answer_later(LoginResult::accept());
  alice.expect_line("OK");
  alice.expect_line("USER alice");
  alice.expect_line("USER bob");
  alice.expect_line("END");
  alice.expect_line("PONG x");
  alice.send("MSG hello\n");
  bob.expect_line("MSG alice hello");
}

TEST_CASE_FIXTURE(Fixture, "a later refusal, and a name taken while the answer was coming") {
  authenticator->hold = true;
  LineClient first(line_port()), second(line_port());
  first.send("LOGIN alice\n");
  REQUIRE(authenticator->holding(1));
  second.send("LOGIN ALICE\nPING 1\n");
  REQUIRE(authenticator->holding(2));
  authenticator->answer_later(LoginResult::accept());
  first.expect_line("OK");
  authenticator->answer_later(LoginResult::accept());  // checked again: taken now
  second.expect_line("ERR username-taken");
  second.expect_line("PONG 1");

  second.send("LOGIN carol\n");
  REQUIRE(authenticator->holding(1));
  authenticator->answer_later(LoginResult::refuse(ReplyError::username_taken));
  second.expect_line("ERR username-taken");
  CHECK(server->user_count() == 1);
}

TEST_CASE_FIXTURE(Fixture, "only the first answer counts") {
  authenticator->hold = true;
  LineClient alice(line_port());
  alice.send("LOGIN alice\n");
  REQUIRE(authenticator->holding(1));
  authenticator->answer_later(LoginResult::accept(), 3);
  alice.expect_line("OK");
  alice.expect_quiet();
}

// A waiting connection reads nothing more until the answer, so it learns of the reset
// only then: at most it is logged in and out at once. No ghost remains either way.
TEST_CASE_FIXTURE(Fixture, "a connection reset before the answer leaves no user behind") {
  authenticator->hold = true;
  {
    LineClient ghost(line_port());
    ghost.send("LOGIN alice\n");
    REQUIRE(authenticator->holding(1));
    ghost.reset();
  }
  authenticator->answer_later(LoginResult::accept());
  REQUIRE(disconnected());  // the server is done with it, answer and all
  CHECK(server->user_count() == 0);
  authenticator->hold = false;
  auto again = logged_in(line_port(), "alice");  // the name is free
}

TEST_CASE_FIXTURE(Fixture, "input that ends before the answer: logged in, then out at once") {
  auto bob = logged_in(line_port(), "bob");
  authenticator->hold = true;
  LineClient alice(line_port());
  alice.send("LOGIN alice\n");
  REQUIRE(authenticator->holding(1));
  alice.shutdown_send();  // like QUIT after everything sent before it
  authenticator->answer_later(LoginResult::accept());
  alice.expect_line("OK");
  alice.expect_eof();
  bob.expect_line("INFO alice disconnected");
  CHECK(eventually([&] { return server->user_count() == 1; }));
}

TEST_CASE_FIXTURE(Fixture, "an authenticator that throws refuses the LOGIN, and is reported") {
  authenticator->throws = true;
  LineClient alice(line_port());
  alice.send("LOGIN alice\nPING 1\n");
  alice.expect_line("ERR invalid-username");
  alice.expect_line("PONG 1");
  CHECK(sink->wait_for([](const Event& e) {
    return e.kind == EventKind::error && e.detail == "authenticator-failed" &&
           e.text == "the accounts database is gone";
  }));
  CHECK(server->user_count() == 0);
}

TEST_CASE("an answer that comes while the server stops, or after, logs nobody in") {
  auto authenticator = std::make_shared<TestAuthenticator>();
  authenticator->hold = true;
  auto sink = std::make_shared<RecordingSink>();
  {
    ServerOptions options;
    options.listen("tcp://127.0.0.1:0");
    options.shutdown_timeout = milliseconds{200};
    Server server{options};
    server.add_sink(sink);
    server.set_authenticator(authenticator);
    server.start();
    LineClient alice(server.port()), bob(server.port());
    alice.send("LOGIN alice\n");
    bob.send("LOGIN bob\n");
    REQUIRE(authenticator->holding(2));
    std::thread stopping([&] { server.stop(); });  // does not wait for the answers
    alice.expect_line("INFO server shutting down");
    authenticator->answer_later(LoginResult::accept());  // alice's, during the stop
    stopping.join();
    alice.expect_eof();
  }
  authenticator->answer_later(LoginResult::accept());  // bob's, for a server that is gone
  CHECK_FALSE(logged_in_as(*sink, "alice"));
  CHECK_FALSE(logged_in_as(*sink, "bob"));
}

// ---- IRC: registration is a LOGIN, and waits the same way ----------------------------

TEST_CASE_FIXTURE(Fixture, "over IRC, a refused nick is 432 or 433, and another may be tried") {
  authenticator->refused = {"mallory"};
  LineClient irc(irc_port());
  register_irc(irc, "mallory");
  CHECK(irc_line(irc) == ":socketchat 432 * mallory :Erroneous nickname");
  authenticator->code = ReplyError::username_taken;
  irc.send("NICK mallory\r\n");
  CHECK(irc_line(irc) == ":socketchat 433 * mallory :Nickname is already in use");
  CHECK(server->user_count() == 0);
}

TEST_CASE_FIXTURE(Fixture, "over IRC, registration waits for a later answer, then the rest") {
  LineClient irc = irc_waiting("dave");
  authenticator->answer_later(LoginResult::refuse(ReplyError::username_taken));
  CHECK(irc_line(irc) == ":socketchat 433 * dave :Nickname is already in use");
  CHECK(irc_line(irc) == ":socketchat PONG socketchat :after");
  CHECK(server->user_count() == 0);
  // Not registered: another NICK registers, as after a refusal at once.
  authenticator->hold = false;
  irc.send("NICK dan\r\n");
  CHECK(irc_line(irc) ==
        ":socketchat 001 dan :Welcome to the socketchat IRC Network dan!~dave@socketchat");
}

TEST_CASE_FIXTURE(Fixture, "over IRC, a connection reset before the answer leaves no user") {
  authenticator->hold = true;
  {
    LineClient ghost(irc_port());
    register_irc(ghost, "dave");
    REQUIRE(authenticator->holding(1));
    ghost.reset();
  }
  authenticator->answer_later(LoginResult::accept());
  REQUIRE(disconnected());
  CHECK(server->user_count() == 0);
  authenticator->hold = false;
  auto again = logged_in(line_port(), "dave");
}

TEST_CASE_FIXTURE(Fixture,
                  "over IRC, registration waits for the answer, then the welcome and the rest") {
  auto bob = logged_in(line_port(), "bob");
  LineClient irc = irc_waiting("dave");
  authenticator->answer_later(LoginResult::accept());
  CHECK(irc_line(irc) ==
        ":socketchat 001 dave :Welcome to the socketchat IRC Network dave!~dave@socketchat");
  std::string line;
  do {
    line = irc_line(irc);
  } while (line.find(" 366 ") == std::string::npos);  // the end of the welcome burst
  CHECK(irc_line(irc) == ":socketchat PONG socketchat :after");
  bob.send("DM dave hi\n");
  CHECK(irc_line(irc) == ":bob!~bob@socketchat PRIVMSG dave :hi");
}
