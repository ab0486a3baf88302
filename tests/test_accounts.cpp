// Accounts over real sockets (PROTOCOL.md, Accounts): REGISTER, LOGIN with a password,
// TOKEN, PASSWD, the modes, throttling, DM history of an account, and that no password
// or token reaches an event.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include <socketchat/memory_account_store.hpp>
#include <socketchat/recording_sink.hpp>
#include <socketchat/server.hpp>

#include "support/line_client.hpp"
#include "support/running_server.hpp"

using namespace socketchat;
using namespace socketchat::test;

namespace {

// Cheap hashes: the tests are about what clients see, not about Argon2id's cost.
ServerOptions accounts_options(ServerOptions::Accounts mode = ServerOptions::Accounts::optional) {
  ServerOptions options = loopback_options();
  options.accounts = mode;
  options.password_hash_passes = 1;
  options.password_hash_memory_kib = 64;
  return options;
}

LineClient registered(std::uint16_t port, const std::string& name, const std::string& password) {
  LineClient client(port);
  client.send("REGISTER " + name + " " + password + "\n");
  client.expect_line("OK");
  return client;
}

// "TOKEN <t>" from a logged-in account owner: <t>.
std::string token_of(LineClient& client) {
  client.send("TOKEN\n");
  auto line = client.read_line();
  REQUIRE(line);
  REQUIRE(line->rfind("TOKEN ", 0) == 0);
  return line->substr(6);
}

// An account store whose lookups wait until the test opens the gate, as a slow disk
// would; counts the lookups that have begun.
class GatedStore final : public AccountStore {
 public:
  std::optional<Account> find(std::string_view name) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    return accounts_.find(name);
  }
  bool create(const Account& a) override { return accounts_.create(a); }
  bool set_password_hash(std::string_view n, std::string_view h, bool r) override {
    return accounts_.set_password_hash(n, h, r);
  }
  bool set_operator(std::string_view n, bool o) override { return accounts_.set_operator(n, o); }
  bool revoke_tokens(std::string_view n) override { return accounts_.revoke_tokens(n); }
  bool remove(std::string_view n) override { return accounts_.remove(n); }
  std::vector<Account> list() override { return accounts_.list(); }

  bool entered(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds{5}, [&] { return entered_ >= n; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  MemoryAccountStore accounts_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int entered_ = 0;
  bool open_ = false;
};

}  // namespace

TEST_CASE("a registered name belongs to its owner: no guest takes it, the password does") {
  RunningServer s(accounts_options());
  {
    auto bob = registered(s.port, "Bob", "correct-horse");
    LineClient guest(s.port);
    guest.send("LOGIN bob\n");  // online or not, any case
    guest.expect_line("ERR password-required");
    bob.send("WHO\n");
    bob.expect_line("USER Bob");
    bob.expect_line("END");
  }
  LineClient thief(s.port);
  thief.send("LOGIN bob\n");  // Bob has left: still his
  thief.expect_line("ERR password-required");
  thief.send("LOGIN bob wrong-password\n");
  thief.expect_line("ERR bad-credentials");
  thief.send("LOGIN nobody some-password\n");  // the same reply for an unknown name
  thief.expect_line("ERR bad-credentials");
  thief.send("LOGIN BOB correct-horse\nWHO\n");
  thief.expect_line("OK");
  thief.expect_line("USER Bob");  // the registration's spelling
  thief.expect_line("END");
  // Guests still take any other name.
  auto carol = logged_in(s.port, "carol");
}

TEST_CASE("REGISTER says exactly what is wrong") {
  ServerOptions options = accounts_options();
  RunningServer s(options);
  auto guest = logged_in(s.port, "guest");
  registered(s.port, "taken", "password1");
  LineClient client(s.port);
  const std::pair<std::string, std::string> cases[] = {
      {"REGISTER\n", "ERR missing-argument"},
      {"REGISTER alice\n", "ERR missing-argument"},
      {"REGISTER alice short\n", "ERR weak-password"},
      {"REGISTER alice " + std::string(257, 'p') + "\n", "ERR password-too-long"},
      {"REGISTER alice two words\n", "ERR invalid-password"},
      {"REGISTER al!ce password1\n", "ERR invalid-username"},
      {"REGISTER TAKEN password1\n", "ERR username-registered"},
      {"REGISTER guest password1\n", "ERR username-taken"},  // a guest online has it
      {"REGISTER x'); DROP TABLE accounts;-- password1\n", "ERR invalid-username"},
  };
  for (const auto& [line, reply] : cases) {
    CAPTURE(line);
    client.send(line);
    client.expect_line(reply);
  }
  client.send("REGISTER alice " + std::string(256, 'p') + "\n");  // the longest
  client.expect_line("OK");
  client.send("REGISTER other password1\n");
  client.expect_line("ERR already-logged-in");
  client.send("PASSWD\n");
  client.expect_line("ERR missing-argument");
}

TEST_CASE("a session token logs back in without the password, until PASSWD revokes it") {
  RunningServer s(accounts_options());
  auto alice = registered(s.port, "alice", "first-password");
  const std::string token = token_of(alice);
  CHECK(token.size() <= 512);
  CHECK(token.find(' ') == std::string::npos);
  alice.send("QUIT\n");
  alice.expect_eof();

  LineClient again(s.port);
  again.send("TOKEN " + token + "\n");
  again.expect_line("OK alice");
  again.send("TOKEN " + token + "\n");
  again.expect_line("ERR already-logged-in");

  LineClient guest = logged_in(s.port, "guest");
  guest.send("TOKEN\n");
  guest.expect_line("ERR not-registered");
  guest.send("PASSWD first-password second-password\n");
  guest.expect_line("ERR not-registered");

  // Tampered: every byte flipped in turn is refused (and nothing else is said).
  ServerOptions lenient = accounts_options();
  lenient.login_failures_per_address = 0;
  RunningServer t(lenient);
  auto owner = registered(t.port, "owner", "owner-password");
  const std::string good = token_of(owner);
  LineClient forger(t.port);
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] == 'A' ? 'B' : 'A');
    CAPTURE(i);
    forger.send("TOKEN " + bad + "\n");
    forger.expect_line("ERR bad-token");
  }
  forger.send("TOKEN " + good.substr(0, good.size() - 1) + "\n");
  forger.expect_line("ERR bad-token");
  forger.send("TOKEN " + std::string(600, 'A') + "\n");
  forger.expect_line("ERR bad-token");
  forger.send("TOKEN\n");
  forger.expect_line("ERR missing-argument");

  // PASSWD: the old password is checked, the new one as at REGISTER; then every token
  // minted before is refused.
  again.send("PASSWD wrong-password second-password\n");
  again.expect_line("ERR bad-credentials");
  again.send("PASSWD first-password short\n");
  again.expect_line("ERR weak-password");
  again.send("PASSWD first-password second-password\n");
  again.expect_line("OK");
  again.send("QUIT\n");
  again.expect_eof();
  LineClient revoked(s.port);
  revoked.send("TOKEN " + token + "\n");
  revoked.expect_line("ERR bad-token");
  revoked.send("LOGIN alice first-password\n");
  revoked.expect_line("ERR bad-credentials");
  revoked.send("LOGIN alice second-password\n");
  revoked.expect_line("OK");
}

TEST_CASE("one connection per account") {
  RunningServer s(accounts_options());
  auto alice = registered(s.port, "alice", "alice-password");
  const std::string token = token_of(alice);
  LineClient second(s.port);
  second.send("LOGIN alice alice-password\n");
  second.expect_line("ERR username-taken");
  second.send("TOKEN " + token + "\n");
  second.expect_line("ERR username-taken");
}

// Waits of both kinds are bounded: store lookups (a guest's LOGIN asks whether the name
// is registered) by account_lookup_queue, password checks by password_hash_queue.
TEST_CASE("the queues for the store and for password checks are bounded: then server-busy") {
  for (bool passwords : {false, true}) {
    CAPTURE(passwords);
    auto store = std::make_shared<GatedStore>();
    ServerOptions options = accounts_options();
    options.account_store = store;
    (passwords ? options.password_hash_queue : options.account_lookup_queue) = 1;
    const std::string password = passwords ? " some-password" : "";
    RunningServer server(options);
    struct OpenAtEnd {  // a failed check must not leave the server's stop waiting on it
      GatedStore& store;
      ~OpenAtEnd() { store.open(); }
    } open_at_end{*store};
    LineClient first(server.port), second(server.port), third(server.port);
    first.send("LOGIN first" + password + "\n");  // the store is slow to answer
    REQUIRE(store->entered(1));
    second.send("LOGIN second" + password + "\n");  // one waits; the other finds it full
    third.send("LOGIN third" + password + "\n");
    // Whichever came second is refused at once; the queued one waits for the store.
    std::optional<std::string> busy;
    LineClient* waiting = nullptr;
    for (int turn = 0; turn < 100 && !busy; ++turn) {
      if ((busy = second.read_line(std::chrono::milliseconds{50}))) {
        waiting = &third;
      } else if ((busy = third.read_line(std::chrono::milliseconds{50}))) {
        waiting = &second;
      }
    }
    REQUIRE(busy);
    CHECK(*busy == "ERR server-busy");
    store->open();
    // No such accounts: guests are welcome, passwords wrong.
    const std::string answer = passwords ? "ERR bad-credentials" : "OK";
    first.expect_line(answer);
    waiting->expect_line(answer);
  }
}

#if defined(__linux__)
// The nice values of this process's threads called `name` (from /proc: comm, and the
// 19th field of stat).
std::vector<int> nice_of_threads_named(const std::string& name) {
  std::vector<int> found;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string comm_name;
    if (!std::getline(comm, comm_name) || comm_name != name) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat;
    std::getline(stat_file, stat);
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
    }
    found.push_back(std::stoi(field));
  }
  return found;
}

TEST_CASE("password checks run below the I/O threads' priority") {
  RunningServer s(accounts_options());
  auto alice = registered(s.port, "alice", "alice-password");  // a hash: its thread is up
  LineClient guest(s.port);
  guest.send("LOGIN bob\n");  // a store read: its thread is up
  guest.expect_line("OK");
  const int ours = nice_of_threads_named("test_accounts").at(0);  // the main thread's
  CHECK(nice_of_threads_named("password-hash") == std::vector{std::min(ours + 10, 19)});
  CHECK(nice_of_threads_named("account-lookup") == std::vector{ours});  // quick: not lowered
}
#endif

TEST_CASE("modes: required lets no guest in; off has no accounts at all") {
  RunningServer required(accounts_options(ServerOptions::Accounts::required));
  LineClient guest(required.port);
  guest.send("LOGIN guest\n");
  guest.expect_line("ERR password-required");
  guest.send("REGISTER member password1\n");
  guest.expect_line("OK");

  RunningServer off(accounts_options(ServerOptions::Accounts::off));
  LineClient plain(off.port);
  for (const char* line : {"REGISTER bob password1\n", "TOKEN abc\n", "PASSWD a b\n"}) {
    CAPTURE(line);
    plain.send(line);
    plain.expect_line("ERR unknown-command");
  }
  plain.send("LOGIN bob password1\n");
  plain.expect_line("ERR invalid-username");
  plain.send("LOGIN bob\n");
  plain.expect_line("OK");
}

TEST_CASE("registration closed: only an operator's store makes accounts") {
  ServerOptions options = accounts_options();
  options.registration_open = false;
  RunningServer s(options);
  LineClient client(s.port);
  client.send("REGISTER bob password1\n");
  client.expect_line("ERR registration-closed");
  client.send("LOGIN bob\n");  // nobody registered it: a guest may take it
  client.expect_line("OK");
}

TEST_CASE("failed logins are throttled per account, from any address, and per address") {
  ServerOptions options = accounts_options();
  options.login_failures_per_account = 2;
  options.login_failures_per_address = 4;
  RunningServer s(options);
  registered(s.port, "alice", "alice-password");
  LineClient mallory(s.port);
  mallory.send("LOGIN alice guess-one\nLOGIN alice guess-two\n");
  mallory.expect_line("ERR bad-credentials");
  mallory.expect_line("ERR bad-credentials");
  mallory.send("LOGIN alice alice-password\n");  // right, but too late
  mallory.expect_line("ERR login-throttled");
  LineClient elsewhere(s.port);
  elsewhere.send("LOGIN alice alice-password\n");
  elsewhere.expect_line("ERR login-throttled");
  // The address: two more failures on other names reach its 4.
  mallory.send("LOGIN nobody guess-three\nLOGIN nobody2 guess-four\nLOGIN someone pass-word5\n");
  mallory.expect_line("ERR bad-credentials");
  mallory.expect_line("ERR bad-credentials");
  mallory.expect_line("ERR login-throttled");
  mallory.send("TOKEN whatever\n");
  mallory.expect_line("ERR login-throttled");
}

TEST_CASE("an account reads its DM history from any session; a guest only its own") {
  RunningServer s(accounts_options());
  {
    auto bob = registered(s.port, "bob", "bob-password");
    auto alice = logged_in(s.port, "alice");
    alice.send("DM bob hello bob\n");
    bob.expect_line("DM alice hello bob");
    // Both gone, and their departures told, before the next sessions: else the new bob
    // may hear of this alice's departure before its HISTORY's answer.
    alice.send("QUIT\n");
    alice.expect_eof();
    bob.expect_line("INFO alice disconnected");
    bob.send("QUIT\n");
    bob.expect_eof();
  }
  LineClient bob(s.port);
  bob.send("LOGIN bob bob-password\n");
  bob.expect_line("OK");
  bob.send("HISTORY @alice\n");
  auto line = bob.read_line();
  REQUIRE(line);
  CHECK(line->find(" alice hello bob") != std::string::npos);
  CHECK(line->rfind("HIST @alice ", 0) == 0);
  bob.expect_line("END");
  auto alice = logged_in(s.port, "alice");  // a guest again: a new session
  alice.send("HISTORY @bob\n");
  alice.expect_line("END");
}

TEST_CASE("no password or token ever reaches an event") {
  auto events = std::make_shared<RecordingSink>();
  ServerOptions options = accounts_options();
  Server server{options};
  server.add_sink(events);
  server.start();
  {
    LineClient alice(server.port());
    alice.send("REGISTER alice secret-one-1\n");
    alice.expect_line("OK");
    const std::string token = token_of(alice);
    alice.send("PASSWD secret-one-1 secret-two-2\nLOGIN x secret-three-3\n");
    alice.expect_line("OK");
    alice.expect_line("ERR already-logged-in");
    LineClient other(server.port());
    other.send("LOGIN alice secret-four-4\nTOKEN " + token + "\n");
    other.expect_line("ERR bad-credentials");
    other.expect_line("ERR bad-token");
    for (const auto& e : events->events()) {
      for (const std::string* field : {&e.remote, &e.user, &e.target, &e.text, &e.detail}) {
        CAPTURE(*field);
        CHECK(field->find("secret-") == std::string::npos);
        CHECK(field->find(token) == std::string::npos);
      }
    }
  }
  server.stop();
}
