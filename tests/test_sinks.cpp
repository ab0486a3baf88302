// The EventSink family: formats, composition, overflow policies, error isolation.
#include <doctest/doctest.h>

#include <atomic>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "socketchat/async_sink.hpp"
#include "socketchat/callback_sink.hpp"
#include "socketchat/error.hpp"
#include "socketchat/fanout_sink.hpp"
#include "socketchat/json_sink.hpp"
#include "socketchat/log_sink.hpp"
#include "socketchat/recording_sink.hpp"

using namespace socketchat;

namespace {

Event make(EventKind kind, std::string_view user = {}, std::string_view text = {},
           std::string_view target = {}) {
  return {.kind = kind,
          .time = std::chrono::system_clock::time_point{std::chrono::milliseconds{1764324000123}},
          .connection = 7,
          .remote = "127.0.0.1:55342",
          .user = user,
          .target = target,
          .text = text};
}

std::string log_line(const Event& e) {
  std::ostringstream out;
  LogSink sink(out);
  sink.on_event(e);
  return out.str();
}

// Blocks in handle() until released: a sink slower than the server.
class GateSink final : public EventSink {
 public:
  void on_event(const Event&) noexcept override {
    std::unique_lock lock(mutex_);
    ++seen_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  void wait_seen(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return seen_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int seen_ = 0;
};

}  // namespace

TEST_CASE("LogSink prints the original SocketChat format") {
  CHECK(log_line(make(EventKind::connect)) == "[CONNECT] new connection from 127.0.0.1:55342\n");
  CHECK(log_line(make(EventKind::login, "Naman")) == "[LOGIN] user=Naman\n");
  CHECK(log_line(make(EventKind::message, "Naman", "hi everyone!")) ==
        "[MSG] from=Naman text=\"hi everyone!\"\n");
  CHECK(log_line(make(EventKind::direct_message, "Yudi", "hey this is private!", "Naman")) ==
        "[DM] from=Yudi to=Naman\n");  // a DM's text is never logged
  CHECK(log_line(make(EventKind::room_message, "Yudi", "hello room", "general")) ==
        "[SAY] from=Yudi room=general text=\"hello room\"\n");
  CHECK(log_line(make(EventKind::joined, "Yudi", "", "general")) ==
        "[JOIN] user=Yudi room=general\n");
  CHECK(log_line(make(EventKind::left, "Yudi", "", "general")) ==
        "[PART] user=Yudi room=general\n");
  CHECK(log_line(make(EventKind::disconnect, "Naman")) == "[DISCONNECT] Naman disconnected\n");
  CHECK(log_line(make(EventKind::disconnect)) == "[DISCONNECT] 127.0.0.1:55342 disconnected\n");
  auto error = make(EventKind::error, "Naman");
  error.detail = "sendq-exceeded";
  error.reason = errc::sendq_exceeded;
  CHECK(
      log_line(error) ==
      "[ERROR] sendq-exceeded user=Naman remote=127.0.0.1:55342 reason=\"send queue exceeded\"\n");
}

TEST_CASE("LogSink: no text can forge a line or leave its quotes") {
  auto line =
      log_line(make(EventKind::message, "eve", "x\" from=admin text=\"\\ \n[LOGIN] user=root"));
  CHECK(line == "[MSG] from=eve text=\"x\\\" from=admin text=\\\"\\\\ \\x0a[LOGIN] user=root\"\n");
  CHECK(line.find('\n') == line.size() - 1);
}

TEST_CASE("JsonSink writes one parseable object a line") {
  std::ostringstream out;
  JsonSink sink(out);
  sink.on_event(make(EventKind::direct_message, "Yudi", "say \"hi\"\n", "Naman"));
  sink.on_event(make(EventKind::login, "Naman"));
  sink.on_event(make(EventKind::message, "Yudi", "say \"hi\"\n"));
  std::istringstream lines(out.str());
  std::string first, second, third;
  REQUIRE(std::getline(lines, first));
  REQUIRE(std::getline(lines, second));
  REQUIRE(std::getline(lines, third));
  auto dm = nlohmann::json::parse(first);
  CHECK(dm["event"] == "dm");
  CHECK(dm["user"] == "Yudi");
  CHECK(dm["to"] == "Naman");
  CHECK_FALSE(dm.contains("text"));  // a DM's text is never logged
  CHECK(nlohmann::json::parse(third)["text"] == "say \"hi\"\n");
  CHECK(dm["connection"] == 7);
  CHECK(dm["remote"] == "127.0.0.1:55342");
  CHECK(dm["time"] == "2025-11-28T10:00:00.123Z");
  auto login = nlohmann::json::parse(second);
  CHECK(login["event"] == "login");
  CHECK_FALSE(login.contains("text"));
}

TEST_CASE("JsonSink names the room of room events, and the text of a room message") {
  std::ostringstream out;
  JsonSink sink(out);
  sink.on_event(make(EventKind::room_message, "Yudi", "hello room", "general"));
  sink.on_event(make(EventKind::joined, "Naman", "", "general"));
  std::istringstream lines(out.str());
  std::string first, second;
  REQUIRE(std::getline(lines, first));
  REQUIRE(std::getline(lines, second));
  auto say = nlohmann::json::parse(first);
  CHECK(say["event"] == "say");
  CHECK(say["room"] == "general");
  CHECK(say["text"] == "hello room");
  CHECK_FALSE(say.contains("to"));
  auto join = nlohmann::json::parse(second);
  CHECK(join["event"] == "join");
  CHECK(join["room"] == "general");
  CHECK_FALSE(join.contains("text"));
}

TEST_CASE("BasicSink catches what handle() throws and reports it") {
  std::string reported;
  auto sink =
      std::make_shared<CallbackSink>([](const Event&) { throw std::runtime_error("disk full"); });
  sink->set_error_handler([&](const std::exception& e) { reported = e.what(); });
  sink->on_event(make(EventKind::login, "a"));  // must not throw
  CHECK(reported == "disk full");
}

TEST_CASE("FanoutSink gives each event to every sink, even after one fails") {
  int calls = 0;
  auto failing =
      std::make_shared<CallbackSink>([](const Event&) { throw std::runtime_error("x"); });
  auto counting = std::make_shared<CallbackSink>([&](const Event&) { ++calls; });
  FanoutSink fanout({failing, counting});
  fanout.on_event(make(EventKind::login, "a"));
  fanout.on_event(make(EventKind::login, "b"));
  CHECK(calls == 2);
}

TEST_CASE("RecordingSink keeps copies and lets a test await an event") {
  auto sink = std::make_shared<RecordingSink>();
  std::thread later([&] {
    std::string name = "late";  // the view dies with this scope: the sink must copy
    sink->on_event(make(EventKind::login, name));
  });
  CHECK(sink->wait_for([](const Event& e) { return e.user == "late"; }));
  later.join();
  CHECK(sink->events().size() == 1);
  CHECK_FALSE(sink->wait_for([](const Event& e) { return e.user == "never"; },
                             std::chrono::milliseconds{20}));
}

TEST_CASE("AsyncSink delivers in order on its own thread") {
  auto recorder = std::make_shared<RecordingSink>();
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> other_thread{true};
  auto check = std::make_shared<CallbackSink>([&](const Event&) {
    if (std::this_thread::get_id() == caller) other_thread = false;
  });
  AsyncSink async(
      std::make_shared<FanoutSink>(std::vector<std::shared_ptr<EventSink>>{recorder, check}));
  for (int i = 0; i < 100; ++i) async.on_event(make(EventKind::message, "u", std::to_string(i)));
  async.drain();
  auto events = recorder->events();
  REQUIRE(events.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(events[i].text == std::to_string(i));
  CHECK(other_thread);
  CHECK(async.dropped() == 0);
}

TEST_CASE("AsyncSink drop_newest and drop_oldest count what they lose, and say so") {
  for (auto policy : {OverflowPolicy::drop_newest, OverflowPolicy::drop_oldest}) {
    auto gate = std::make_shared<GateSink>();
    auto recorder = std::make_shared<RecordingSink>();
    AsyncSink async(
        std::make_shared<FanoutSink>(std::vector<std::shared_ptr<EventSink>>{gate, recorder}), 4,
        policy);
    async.on_event(make(EventKind::message, "u", "held"));
    gate->wait_seen(1);  // the worker is now stuck inside the first event
    for (int i = 0; i < 10; ++i) async.on_event(make(EventKind::message, "u", std::to_string(i)));
    CHECK(async.dropped() == 6);
    gate->open();
    async.drain();
    auto events = recorder->events();
    REQUIRE(events.size() == 1 + 4 + 1);
    CHECK(events[0].text == "held");
    CHECK(events[1].text == (policy == OverflowPolicy::drop_newest ? "0" : "6"));
    CHECK(events[4].text == (policy == OverflowPolicy::drop_newest ? "3" : "9"));
    CHECK(events[5].detail == "events-dropped");
    CHECK(events[5].text == "6 events dropped: the sink fell behind");
  }
}

TEST_CASE("AsyncSink block loses nothing: the producer waits for room") {
  auto gate = std::make_shared<GateSink>();
  auto recorder = std::make_shared<RecordingSink>();
  AsyncSink async(
      std::make_shared<FanoutSink>(std::vector<std::shared_ptr<EventSink>>{gate, recorder}), 2,
      OverflowPolicy::block);
  async.on_event(make(EventKind::message, "u", "held"));
  gate->wait_seen(1);
  std::atomic<int> pushed{0};
  std::thread producer([&] {
    for (int i = 0; i < 5; ++i) {
      async.on_event(make(EventKind::message, "u", std::to_string(i)));
      ++pushed;
    }
  });
  // Two fit; the third waits until the gate opens.
  CHECK_FALSE(recorder->wait_for([](const Event& e) { return e.text == "0"; },
                                 std::chrono::milliseconds{50}));
  CHECK(pushed.load() <= 2);
  gate->open();
  producer.join();
  async.drain();
  CHECK(recorder->events().size() == 6);
  CHECK(async.dropped() == 0);
}
