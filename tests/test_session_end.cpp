// However a connection ends (end of input, a reset, QUIT, the idle timeout, the
// server's shutdown), the messages it sent before are delivered to everyone online,
// and only then is its departure announced (DEVELOPERS' promise 1, PROTOCOL.md). A
// history store that holds every append until the test lets it go makes the window
// between "taken" and "durable" as long as the test needs, over real sockets.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <socketchat/history_store.hpp>
#include <socketchat/server.hpp>

#include "support/line_client.hpp"

using namespace socketchat;
using namespace socketchat::test;

namespace {

// A store on "disk" (blocking: the server calls it from its writer thread) whose
// appends wait at a gate until the test opens it.
class GatedStore final : public HistoryStore {
 public:
  void append(std::span<HistoryRecord> records) override {
    std::unique_lock lock(mutex_);
    arrived_ += records.size();
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    for (auto& record : records) record.id = kept_.size() + 1;
    kept_.insert(kept_.end(), records.begin(), records.end());
  }
  HistoryPage read(const std::string& scope, const HistoryRange& range) override {
    std::lock_guard lock(mutex_);
    HistoryPage page{.last_id = kept_.size()};
    for (const auto& record : kept_) {
      if (record.scope == scope) page.records.push_back(record);  // the tests ask for the latest
    }
    auto& found = page.records;
    if (found.size() > range.limit)
      found.erase(found.begin(), found.end() - static_cast<long>(range.limit));
    return page;
  }
  std::string epoch() override { return "test"; }
  std::size_t prune(std::chrono::system_clock::time_point) override { return 0; }
  bool blocking() const noexcept override { return true; }

  // Waits until `count` records have reached the gate; false after default_wait.
  bool wait_for_arrivals(std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, default_wait, [&] { return arrived_ >= count; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t arrived_ = 0;
  bool open_ = false;
  std::vector<HistoryRecord> kept_;
};

struct GatedServer {
  explicit GatedServer(std::chrono::milliseconds idle_timeout = std::chrono::seconds{60}) {
    options.listen("tcp://127.0.0.1:0");
    options.history_store = store;
    options.idle_timeout = idle_timeout;
    server = std::make_unique<Server>(options);
    server->start();
    port = server->port();
  }
  ~GatedServer() {
    store->open();  // whatever the test did, let the writer finish
    server->stop();
  }
  std::shared_ptr<GatedStore> store = std::make_shared<GatedStore>();
  ServerOptions options;
  std::unique_ptr<Server> server;
  std::uint16_t port = 0;
};

// alice sends one MSG, the store holds it, her connection ends by `end`; then the
// store lets it go: bob must see her message, then her departure.
template <class End>
void message_outlives_its_sender(GatedServer& s, End end) {
  auto bob = logged_in(s.port, "bob");
  auto alice = logged_in(s.port, "alice");
  alice.send("MSG before the end\n");
  REQUIRE(s.store->wait_for_arrivals(1));
  end(alice);
  s.store->open();
  bob.expect_line("MSG alice before the end");
  bob.expect_line("INFO alice disconnected");
}

}  // namespace

TEST_CASE("end of input: the message is delivered, then the departure") {
  GatedServer s;
  message_outlives_its_sender(s, [](LineClient& alice) { alice.shutdown_send(); });
}

TEST_CASE("a reset: the message is delivered, then the departure") {
  GatedServer s;
  message_outlives_its_sender(s, [](LineClient& alice) { alice.reset(); });
}

TEST_CASE("QUIT: the message is delivered, then the departure") {
  GatedServer s;
  message_outlives_its_sender(s, [](LineClient& alice) { alice.send("QUIT\n"); });
}

TEST_CASE("the idle timeout: the message is delivered, then the departure") {
  GatedServer s(std::chrono::milliseconds{1000});
  auto bob = logged_in(s.port, "bob");
  auto alice = logged_in(s.port, "alice");
  alice.send("MSG before the end\n");
  REQUIRE(s.store->wait_for_arrivals(1));
  // bob stays active while alice idles out.
  std::optional<std::string> notice;
  for (int round = 0; round < 50 && !notice; ++round) {
    bob.send("PING\n");
    bob.expect_line("PONG");
    notice = alice.read_line(milliseconds{100});
  }
  REQUIRE(notice == "INFO disconnected due to inactivity");
  bob.send("PING\n");
  bob.expect_line("PONG");
  s.store->open();
  bob.expect_line("MSG alice before the end");
  bob.expect_line("INFO alice disconnected");
  alice.expect_eof();
}

TEST_CASE("shutdown: messages taken before it are delivered first, then everyone is told") {
  GatedServer s;
  auto bob = logged_in(s.port, "bob");
  auto alice = logged_in(s.port, "alice");
  alice.send("MSG before the end\n");
  REQUIRE(s.store->wait_for_arrivals(1));
  std::jthread stopper([&] { s.server->stop(); });  // joined even if a check fails
  s.store->open();
  bob.expect_line("MSG alice before the end");
  bob.expect_line("INFO server shutting down");
  bob.expect_eof();
  alice.expect_line("INFO server shutting down");
  alice.expect_eof();
}

TEST_CASE("commands read before the end of input are answered, in order") {
  GatedServer s;
  auto bob = logged_in(s.port, "bob");
  LineClient alice(s.port);
  alice.send("LOGIN alice\nMSG one\nWHO\nPING done\n");
  alice.expect_line("OK");
  REQUIRE(s.store->wait_for_arrivals(1));
  alice.shutdown_send();  // WHO and PING wait behind the MSG, and the input has ended
  s.store->open();
  alice.expect_line("USER alice");
  alice.expect_line("USER bob");
  alice.expect_line("END");
  alice.expect_line("PONG done");
  alice.expect_eof();
  bob.expect_line("MSG alice one");
  bob.expect_line("INFO alice disconnected");
}

TEST_CASE("an in-process user's message outlives its disconnect") {
  GatedServer s;
  auto bob = logged_in(s.port, "bob");
  auto bot = s.server->connect("bot", [](LocalUser&, const Incoming&) {});
  bot->say("from the bot");
  REQUIRE(s.store->wait_for_arrivals(1));
  bot->disconnect();
  s.store->open();
  bob.expect_line("MSG bot from the bot");
  bob.expect_line("INFO bot disconnected");
}
