// Settings changed while the server runs (Server::reconfigure), and a log sink that is
// stuck: what applies at once, what is named as needing a restart, and what an
// AsyncSink that cannot deliver does to its producers and to a shutdown.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <socketchat/async_sink.hpp>
#include <socketchat/error.hpp>
#include <socketchat/server.hpp>

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
