// Settings changed while the server runs (Server::reconfigure), and a log sink that is
// stuck: what applies at once, what is named as needing a restart, and what an
// AsyncSink that cannot deliver does to its producers and to a shutdown.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <socketchat/async_sink.hpp>
#include <socketchat/error.hpp>
#include <socketchat/memory_account_store.hpp>
#include <socketchat/memory_history_store.hpp>
#include <socketchat/server.hpp>

#include "server/core.hpp"
#include "server/option_table.hpp"
#include "support/line_client.hpp"

using namespace socketchat;
using namespace socketchat::test;
using namespace std::chrono_literals;

namespace {

ServerOptions loopback() {
  ServerOptions options;
  options.listen("tcp://127.0.0.1:0");
  options.threads = 1;
  options.rate_per_second = 0;
  options.history = false;
  options.shutdown_timeout = 500ms;
  return options;
}

// A sink that holds the thread that calls it until released: a stderr nobody reads.
class StuckSink final : public EventSink {
 public:
  void on_event(const Event&) noexcept override {
    std::unique_lock lock(mutex_);
    ++seen_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
  }
  void wait_seen(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return seen_ >= n; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int seen_ = 0;
  bool released_ = false;
};

// A valid value for every setting, each different from loopback()'s.
ServerOptions every_setting_changed() {
  ServerOptions o;
  o.listeners = {"tcp://127.0.0.1:1"};
  o.tls_certificate_file = "other.crt";  // never read: there is no TLS listener
  o.tls_private_key_file = "other.key";
  o.websocket_allowed_origins = {"https://chat.example.org"};
  o.websocket_max_frame_bytes = 4096;
  o.websocket_max_message_bytes = 8192;
  o.idle_timeout = 61s;
  o.login_timeout = 31s;
  o.handshake_timeout = 11s;
  o.shutdown_timeout = 6s;
  o.max_line_bytes = 8192;
  o.sendq_bytes = 2 << 20;
  o.send_buffer_bytes = 0;
  o.rate_per_second = 10;
  o.rate_burst = 20;
  o.max_connections = 5;
  o.max_connections_per_ip = 3;
  o.max_rooms = 10;
  o.max_rooms_per_user = 2;
  o.max_reply_bytes = 4096;
  o.connection_limit_exempt = {"10.0.0.0/8"};
  o.threads = 3;
  o.metrics_token = "secret";
  o.history = false;
  o.history_store = std::make_shared<MemoryHistoryStore>();
  o.history_memory_bytes = 1 << 20;
  o.history_retention = 1h;
  o.history_prune_interval = 1min;
  o.max_bans = 5;
  o.rename_interval = std::chrono::seconds(1);
  o.server_name = "irc.example.org";
  o.motd_file = "motd.txt";  // read at start, never here
  o.accounts = ServerOptions::Accounts::required;
  o.registration_open = false;
  o.allow_plaintext_passwords = true;
  o.account_store = std::make_shared<MemoryAccountStore>();
  o.password_hash_passes = 3;
  o.password_hash_memory_kib = 1024;
  o.password_hash_threads = 2;
  o.password_hash_queue = 8;
  o.account_lookup_queue = 9;
  o.login_failures_per_address = 3;
  o.login_failures_per_account = 2;
  o.login_failure_window = 1min;
  o.login_throttle_entries = 10;
  o.session_token_lifetime = 1h;
  o.session_token_keys = {std::string(32, 'k')};
  o.jwt_algorithm = "HS256";  // with the starting jwt_secret when changed alone
  o.jwt_secret = std::string(32, 's');
  o.jwt_public_key_file = "other.pem";  // unused while jwt_algorithm is empty
  o.jwt_audience = "chat.example.org";
  o.jwt_issuer = "https://app.example.org";
  o.cluster = "redis://127.0.0.1:6379/1";
  o.cluster_password = "redis-secret";
  o.cluster_lease = 2s;
  o.cluster_backlog = 5000;
  return o;
}

std::string source_file(const std::string& path) {
  std::ifstream in(std::string(SOCKETCHAT_SOURCE_DIR) + "/" + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Event message(const std::string& text) {
  return Event{.kind = EventKind::message, .time = {}, .user = "u", .text = text};
}

}  // namespace

TEST_CASE("reconfigure names what needs a restart, keeps its running value, applies the rest") {
  Server server{loopback()};
  server.start();
  LineClient alice(server.port());
  alice.send("LOGIN alice\n");
  alice.expect_line("OK");

  ServerOptions next = loopback();
  next.threads = 2;
  next.max_line_bytes = 8192;
  next.history = true;
  next.max_connections = 1;  // applies at once
  auto named = server.reconfigure(next);
  std::sort(named.begin(), named.end());
  CHECK(named == std::vector<std::string>{"history", "max_line_bytes", "threads"});

  LineClient refused(server.port());
  refused.expect_line("ERR server-full");
  alice.send("PING " + std::string(5000, 'x') + "\n");  // still the running 4096
  alice.expect_line("ERR line-too-long");

  // Back to the start: nothing is named, and the limit is lifted again.
  CHECK(server.reconfigure(loopback()).empty());
  LineClient admitted(server.port());
  admitted.send("PING back\n");
  admitted.expect_line("PONG back");
}

TEST_CASE("reconfigure takes every live setting and names every other one, changed alone") {
  ServerOptions start = loopback();
  start.history = true;  // so that a history_store may be given
  start.tls_certificate_file = "unused.crt";
  start.tls_private_key_file = "unused.key";
  start.jwt_secret = std::string(32, 'a');  // so that jwt_algorithm HS256 alone is valid
  const ServerOptions changed = every_setting_changed();
  for (const auto& option : detail::option_table()) {
    CAPTURE(option.name);
    detail::Core core{start};
    ServerOptions next = core.options();
    option.copy(changed, next);
    REQUIRE(option.differs(next, core.options()));

    const bool restart = option.change == detail::Change::restart;
    auto named = core.reconfigure(next);
    CHECK(named == (restart ? std::vector<std::string>{std::string(option.name)}
                            : std::vector<std::string>{}));
    CHECK(option.differs(core.options(), next) == restart);  // kept, or taken
    CHECK(needs_restart(option.name) == restart);
  }
  CHECK_FALSE(needs_restart("no_such_setting"));
}

TEST_CASE("EMBEDDING.md names every setting that needs a restart") {
  const std::string embedding = source_file("docs/EMBEDDING.md");
  for (const auto& option : detail::option_table()) {
    if (option.change == detail::Change::restart) {
      CHECK_MESSAGE(embedding.find("`" + std::string(option.name) + "`") != std::string::npos,
                    option.name);
    }
  }
}

TEST_CASE("a metrics token that is no bearer token is refused without being repeated") {
  for (const std::string& token :
       std::vector<std::string>{"has space", "quote\"d", "=leading", std::string(257, 'a')}) {
    ServerOptions options = loopback();
    options.metrics_token = token;
    try {
      options.validate();
      FAIL("accepted: " << token);
    } catch (const config_error& e) {
      std::string what = e.what();
      CHECK(what.find("metrics_token") != std::string::npos);
      CHECK(what.find(token) == std::string::npos);
    }
  }
  for (const std::string& token :
       std::vector<std::string>{"abc", "A-Za-z0-9._~+/", "abc==", std::string(256, 'a')}) {
    CHECK(is_bearer_token(token));
  }
}

TEST_CASE("an AsyncSink in front of a stuck sink drops and counts, and drain_for gives up") {
  auto stuck = std::make_shared<StuckSink>();
  const auto before = AsyncSink::dropped_in_process();
  {
    AsyncSink async(stuck, 4, OverflowPolicy::drop_newest);
    async.on_event(message("held"));
    stuck->wait_seen(1);  // the worker is stuck in it
    for (int i = 0; i < 10; ++i) async.on_event(message(std::to_string(i)));  // never waits
    CHECK(async.dropped() == 6);
    CHECK(AsyncSink::dropped_in_process() - before == 6);
    CHECK_FALSE(async.drain_for(50ms));
    stuck->release();
    CHECK(async.drain_for(5s));
  }
}
