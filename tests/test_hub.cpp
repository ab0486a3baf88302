// The Hub with fake peers: routing and refusals, with no sockets.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "hub/hub.hpp"
#include "hub/local_delivery.hpp"
#include "hub/local_directory.hpp"
#include "protocol/irc/irc_protocol.hpp"
#include "protocol/line/line_protocol.hpp"
#include "server/connection.hpp"
#include "session/write_turns.hpp"
#include "socketchat/event_sink.hpp"
#include "socketchat/memory_history_store.hpp"
#include "store/history_clock.hpp"
#include "store/history_writer.hpp"
#include "util/round_end.hpp"

using namespace socketchat;
using namespace socketchat::detail;

namespace {

const LineProtocol protocol(4096);

// A connection that keeps what it is sent.
class FakePeer final : public Peer {
 public:
  explicit FakePeer(std::uint64_t id, const Protocol& speaks = ::protocol,
                    const Protocol* replies = nullptr)
      : Peer(id, "127.0.0.1:" + std::to_string(1000 + id)),
        speaks_(speaks),
        replies_(replies ? *replies : speaks) {}
  void send(Payload payload) override {
    received += payload.view();
    payloads.push_back(std::move(payload));
  }
  const Protocol& protocol() const noexcept override { return speaks_; }
  const Protocol& encoder() const noexcept override { return replies_; }
  // The fixture owns the peers: a non-owning pointer is enough.
  std::shared_ptr<Peer> shared_peer() override { return {std::shared_ptr<Peer>{}, this}; }
  void defer(std::function<void()> task) override { task(); }
  std::string take() { return std::exchange(received, {}); }

  std::string received;
  std::vector<Payload> payloads;

 private:
  const Protocol& speaks_;
  const Protocol& replies_;
};

// A connection others' threads send to: what it is sent, under a mutex.
class LockedPeer final : public Peer {
 public:
  explicit LockedPeer(std::uint64_t id) : Peer(id, "127.0.0.1:" + std::to_string(1000 + id)) {}
  void send(Payload payload) override {
    std::lock_guard lock(mutex_);
    received_ += payload.view();
  }
  const Protocol& protocol() const noexcept override { return ::protocol; }
  std::shared_ptr<Peer> shared_peer() override { return {std::shared_ptr<Peer>{}, this}; }
  void defer(std::function<void()> task) override { task(); }
  std::string first_line() {
    std::lock_guard lock(mutex_);
    return received_.substr(0, received_.find('\n'));
  }

 private:
  std::mutex mutex_;
  std::string received_;
};

class RecordingSink final : public BasicSink {
 public:
  std::vector<std::string> lines;

 protected:
  void handle(const Event& e) override {
    lines.push_back(std::string(to_string(e.kind)) + " " + std::string(e.user) + " " +
                    std::string(e.target) + " " + std::string(e.text));
  }
};

struct Fixture {
  EventBus bus;
  Hub hub{bus};
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  FakePeer a{1}, b{2}, c{3};

  Fixture() { bus.add(sink); }

  Hub::After run(FakePeer& from, std::string_view line) {
    std::string scratch;
    return hub.handle(from, LineProtocol::parse(line, scratch));
  }
  void login_all() {
    run(a, "LOGIN alice");
    run(b, "LOGIN Bob");
    run(c, "LOGIN carol");
    a.take(), b.take(), c.take();
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "LOGIN: OK, taken without regard to case, invalid, already logged in") {
  run(a, "LOGIN Naman");
  CHECK(a.take() == "OK\n");
  run(b, "LOGIN naman");
  CHECK(b.take() == "ERR username-taken\n");
  run(b, "LOGIN _bad");
  CHECK(b.take() == "ERR invalid-username\n");
  run(b, "LOGIN");
  CHECK(b.take() == "ERR missing-argument\n");
  run(b, "LOGIN Yudi");  // a refused LOGIN may be retried
  CHECK(b.take() == "OK\n");
  run(b, "LOGIN other");
  CHECK(b.take() == "ERR already-logged-in\n");
  CHECK(hub.user_count() == 2);
  CHECK(sink->lines == std::vector<std::string>{"login Naman  ", "login Yudi  "});
}

TEST_CASE_FIXTURE(Fixture, "without accounts a LOGIN's secret is refused, unless only offered") {
  hub.handle(a, {.verb = Verb::login, .name = "alice", .secret = "password1"});
  CHECK(a.take() == "ERR invalid-username\n");
  // IRC's PASS: the server has no accounts, so it is not looked at.
  hub.handle(
      a, {.verb = Verb::login, .name = "alice", .secret = "password1", .secret_optional = true});
  CHECK(a.take() == "OK\n");
  CHECK(hub.user_count() == 1);
}

TEST_CASE_FIXTURE(Fixture, "before LOGIN only LOGIN, PING, HELP and QUIT are accepted") {
  for (auto line : {"MSG hi", "DM bob hi", "WHO", "DM", "MSG"}) {
    run(a, line);
    CHECK(a.take() == "ERR not-logged-in\n");
  }
  run(a, "PING t");
  CHECK(a.take() == "PONG t\n");
  run(a, "FLY");
  CHECK(a.take() == "ERR unknown-command\n");
  run(a, "HELP");
  CHECK(a.take().rfind("HELP LOGIN", 0) == 0);
  CHECK(run(a, "QUIT") == Hub::After::close);
}

TEST_CASE_FIXTURE(Fixture, "MSG reaches every other user, serialized once") {
  login_all();
  run(a, "MSG hello there");
  CHECK(a.take().empty());
  CHECK(b.take() == "MSG alice hello there\n");
  CHECK(c.take() == "MSG alice hello there\n");
  // one payload shared by both recipients, not a copy each
  CHECK(b.payloads.back().data() == c.payloads.back().data());
  CHECK(sink->lines.back() == "msg alice  hello there");
}

TEST_CASE_FIXTURE(Fixture, "with two protocols, a message is encoded once per protocol") {
  // Two IRC users, each with the connection's own encoder, as sessions have them.
  const IrcProtocol irc{"socketchat"};
  auto irc_d = irc.make_decoder(), irc_e = irc.make_decoder();
  FakePeer d{4, irc, &irc_d->encoder()}, e{5, irc, &irc_e->encoder()};
  login_all();
  CHECK(hub.try_login(d, "dave") == std::nullopt);
  CHECK(hub.try_login(e, "erin") == std::nullopt);
  run(a, "MSG hello there");
  CHECK(b.take() == "MSG alice hello there\n");
  CHECK(c.take() == "MSG alice hello there\n");
  CHECK(d.take() == ":alice!~alice@socketchat PRIVMSG &public :hello there\r\n");
  CHECK(e.take() == ":alice!~alice@socketchat PRIVMSG &public :hello there\r\n");
  CHECK(b.payloads.back().data() == c.payloads.back().data());  // one for the line users
  CHECK(d.payloads.back().data() == e.payloads.back().data());  // one for the IRC users
  CHECK(b.payloads.back().data() != d.payloads.back().data());
}

TEST_CASE_FIXTURE(Fixture, "DM reaches only its recipient, found without regard to case") {
  login_all();
  run(a, "DM BOB psst");
  CHECK(b.take() == "DM alice psst\n");
  CHECK(a.take().empty());
  CHECK(c.take().empty());
  run(a, "DM nobody hi");
  CHECK(a.take() == "ERR no-such-user\n");
  run(a, "DM bob");
  CHECK(a.take() == "ERR empty-message\n");
  run(a, "DM");
  CHECK(a.take() == "ERR missing-argument\n");
  run(a, "MSG");
  CHECK(a.take() == "ERR empty-message\n");
  CHECK(sink->lines.back() == "dm alice Bob psst");
}

TEST_CASE_FIXTURE(Fixture, "WHO lists users sorted by lower-case name, as spelled at LOGIN") {
  run(c, "LOGIN zed");
  run(a, "LOGIN Alpha");
  run(b, "LOGIN beta");
  a.take();
  run(a, "WHO");
  CHECK(a.take() == "USER Alpha\nUSER beta\nUSER zed\nEND\n");
}

TEST_CASE_FIXTURE(Fixture,
                  "RENAME: the new name is found and listed in its place, the old one freed") {
  login_all();  // alice, Bob, carol
  run(a, "RENAME Zoe");
  CHECK(a.take() == "OK\n");
  CHECK(c.take() == "INFO alice renamed Zoe\n");
  b.take();
  run(a, "WHO");
  CHECK(a.take() == "USER Bob\nUSER carol\nUSER Zoe\nEND\n");
  run(b, "DM zoe hi");  // the new name, without regard to case
  CHECK(a.take() == "DM Bob hi\n");
  run(b, "DM alice hi");
  CHECK(b.take() == "ERR no-such-user\n");
  run(c, "RENAME ZOE");  // taken, without regard to case
  CHECK(c.take() == "ERR username-taken\n");
  run(b, "RENAME bob");  // a change of case only keeps its place
  CHECK(b.take() == "OK\n");
  a.take(), c.take();
  run(c, "RENAME alice");  // the old name is free again
  CHECK(c.take() == "OK\n");
  a.take(), b.take();
  run(a, "WHO");
  CHECK(a.take() == "USER alice\nUSER bob\nUSER Zoe\nEND\n");
  CHECK(hub.user_count() == 3);
}

namespace {

// Writes down what the Hub answers, before any protocol spells it: "user_info Bob".
class NoticeRecorder final : public Protocol {
 public:
  std::unique_ptr<Decoder> make_decoder() const override { return nullptr; }
  Payload encode(const ServerMessage& m) const override {
    if (m.notice == Notice::user_info) {
      seen.push_back("user_info " + std::string(m.user));
    } else if (m.notice == Notice::room_info && m.rooms.size() == 1) {
      seen.push_back("room_info " + std::string(m.rooms[0].name) + " " +
                     std::to_string(m.rooms[0].members));
    } else if (m.notice == Notice::error) {
      seen.push_back("error " + std::string(code_of(m.error)));
    } else {
      seen.push_back("notice " + std::to_string(static_cast<int>(m.notice)));
    }
    return {};
  }
  mutable std::vector<std::string> seen;  // one test thread
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "user_info and room_info look up one user or room, never a list") {
  NoticeRecorder recorder;
  FakePeer dave{4, ::protocol, &recorder};
  std::vector<std::unique_ptr<FakePeer>> crowd;  // many online: a lookup lists none of them
  for (int i = 0; i < 2000; ++i) {
    crowd.push_back(std::make_unique<FakePeer>(10 + i));
    REQUIRE(hub.try_login(*crowd.back(), "user" + std::to_string(i)) == std::nullopt);
  }
  login_all();
  run(a, "JOIN Lobby");
  run(b, "JOIN lobby");
  auto ask = [&](Verb verb, std::string_view name) {
    recorder.seen.clear();
    CHECK(hub.handle(dave, {.verb = verb, .name = name}) == Hub::After::stay);
    return recorder.seen;
  };
  using Seen = std::vector<std::string>;
  CHECK(ask(Verb::user_info, "bob") == Seen{"error not-logged-in"});
  REQUIRE(hub.try_login(dave, "dave") == std::nullopt);
  CHECK(ask(Verb::user_info, "BOB") == Seen{"user_info Bob"});  // as spelled at LOGIN
  CHECK(ask(Verb::user_info, "user1999") == Seen{"user_info user1999"});
  CHECK(ask(Verb::user_info, "nobody") == Seen{"error no-such-user"});
  CHECK(ask(Verb::user_info, "") == Seen{"error no-such-user"});
  CHECK(ask(Verb::room_info, "LOBBY") == Seen{"room_info Lobby 2"});
  CHECK(ask(Verb::room_info, "nowhere") == Seen{"error no-such-room"});
  CHECK(ask(Verb::room_info, "") == Seen{"error no-such-room"});
  // The line protocol has no command that asks: it spells the answers as nothing.
  CHECK(a.take() == "OK\nINFO Bob joined Lobby\n");
  hub.handle(a, {.verb = Verb::user_info, .name = "carol"});
  hub.handle(a, {.verb = Verb::room_info, .name = "lobby"});
  CHECK(a.take().empty());
}

TEST_CASE_FIXTURE(Fixture, "leaving announces the departure once and frees the name") {
  login_all();
  hub.leave(a);
  CHECK(b.take() == "INFO alice disconnected\n");
  CHECK(c.take() == "INFO alice disconnected\n");
  hub.leave(a);
  CHECK(b.take().empty());
  FakePeer again{4};
  run(again, "LOGIN ALICE");
  CHECK(again.take() == "OK\n");
}

TEST_CASE_FIXTURE(Fixture, "with a scheduler, departures gathered meanwhile go out in one write") {
  std::vector<std::function<void()>> later;
  hub.set_scheduler([&](std::function<void()> task) { later.push_back(std::move(task)); });
  login_all();
  FakePeer d{4};
  run(d, "LOGIN dave");
  d.take();
  hub.leave(a);
  hub.leave(b);
  CHECK(c.take().empty());     // not yet
  REQUIRE(later.size() == 1);  // one announcement scheduled for both
  const auto before = c.payloads.size();
  later.front()();
  CHECK(c.payloads.size() == before + 1);
  CHECK(c.take() == "INFO alice disconnected\nINFO Bob disconnected\n");
  CHECK(d.take() == "INFO alice disconnected\nINFO Bob disconnected\n");
}

TEST_CASE_FIXTURE(Fixture, "a freed name is announced as gone before it is taken again") {
  std::vector<std::function<void()>> later;
  hub.set_scheduler([&](std::function<void()> task) { later.push_back(std::move(task)); });
  login_all();
  hub.leave(a);
  FakePeer again{5};
  run(again, "LOGIN Alice");
  CHECK(again.take() == "OK\n");
  CHECK(b.take() == "INFO alice disconnected\n");  // before the new Alice can say a word
  for (auto& task : later) task();  // the scheduled announcement finds nothing left to say
  CHECK(b.take().empty());
}

TEST_CASE_FIXTURE(Fixture, "a quiet hub (shutting down) does not announce departures") {
  login_all();
  hub.set_quiet(true);
  hub.leave(a);
  CHECK(b.take().empty());
  CHECK(hub.user_count() == 2);
}

TEST_CASE_FIXTURE(Fixture, "a peer that never logged in leaves without a notice") {
  login_all();
  FakePeer stranger{9};
  hub.leave(stranger);
  CHECK(a.take().empty());
}

// ---- History: whose DMs a session may read, and a store that cannot be read ----------

namespace {

// The HIST lines of an answer, without their unix-ms: "<from> <text>".
std::vector<std::string> hist_entries(const std::string& answer) {
  std::vector<std::string> entries;
  std::size_t at = 0;
  while (at < answer.size()) {
    const auto end = answer.find('\n', at);
    const std::string line = answer.substr(at, end - at);
    at = end + 1;
    if (line == "END") break;
    // "HIST <target> <unix-ms> <from> <text>"
    const auto ms = line.find(' ', line.find(' ') + 1);
    entries.push_back(line.substr(line.find(' ', ms + 1) + 1));
  }
  return entries;
}

// Keeps what it is given, but cannot read it back.
class UnreadableStore final : public HistoryStore {
 public:
  void append(std::span<HistoryRecord>) override {}
  HistoryPage read(const std::string&, const HistoryRange&) override {
    throw std::runtime_error("the disk is gone");
  }
  std::string epoch() override { return "test"; }
  std::size_t prune(std::chrono::system_clock::time_point) override { return 0; }
  bool blocking() const noexcept override { return false; }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture,
                  "HISTORY @: a name logged in again reads none of the DMs of its earlier "
                  "session, even within the same millisecond") {
  MemoryHistoryStore store;
  hub.set_history(&store, nullptr);
  login_all();
  run(a, "DM bob the door code is 4711");
  CHECK(b.take() == "DM alice the door code is 4711\n");
  run(b, "HISTORY @alice");
  CHECK(hist_entries(b.take()) == std::vector<std::string>{"alice the door code is 4711"});

  hub.leave(b);  // all of this well within a millisecond or two
  a.take(), c.take();
  FakePeer mallory{4};
  run(mallory, "LOGIN bob");
  CHECK(mallory.take() == "OK\n");
  CHECK(mallory.login_unix_ms() > store.latest(dm_scope("alice", "bob"), 1).front().unix_ms);
  run(mallory, "HISTORY @alice");
  CHECK(mallory.take() == "END\n");
  run(mallory, "HISTORY @alice 500");
  CHECK(mallory.take() == "END\n");

  // What is sent from now on is this session's, both ways, the moment after LOGIN.
  run(a, "DM bob for the new bob");
  CHECK(mallory.take() == "DM alice for the new bob\n");
  run(mallory, "DM alice thanks");
  CHECK(a.take() == "DM bob thanks\n");
  run(mallory, "HISTORY @alice");
  CHECK(hist_entries(mallory.take()) ==
        std::vector<std::string>{"alice for the new bob", "bob thanks"});
  // alice's session covers both: she sees all three.
  run(a, "HISTORY @bob");
  CHECK(hist_entries(a.take()) == std::vector<std::string>{"alice the door code is 4711",
                                                           "alice for the new bob", "bob thanks"});
  // The latest n are the latest n of this session's.
  run(mallory, "HISTORY @alice 1");
  CHECK(hist_entries(mallory.take()) == std::vector<std::string>{"bob thanks"});
}

TEST_CASE_FIXTURE(Fixture, "a history the store cannot read is ERR storage-failed, and reported") {
  UnreadableStore store;
  hub.set_history(&store, nullptr);
  login_all();
  run(a, "JOIN lobby");
  CHECK(a.take() == "OK\n");
  for (auto line : {"HISTORY *", "HISTORY lobby 3", "HISTORY @bob"}) {
    CAPTURE(line);
    CHECK(run(a, line) == Hub::After::stay);
    CHECK(a.take() == "ERR storage-failed\n");
    CHECK(sink->lines.back() == "error alice  the disk is gone");
  }
  CHECK(b.take().empty());
}

TEST_CASE("HistoryClock: a mark is after every stamp before it, and no stamp after it is earlier") {
  HistoryClock clock;
  const auto first = clock.stamp();
  const auto second = clock.stamp();  // most likely the same millisecond
  CHECK(second >= first);
  const auto mark = clock.mark();
  CHECK(mark > second);
  CHECK(clock.stamp() >= mark);
  CHECK(clock.mark() > mark - 1);  // marks never go back
  // Marks alone do not run ahead of the wall clock: a thousand of them move it by 1 ms
  // at most, past the last stamp.
  const auto before = clock.stamp();
  std::int64_t last = 0;
  for (int i = 0; i < 1000; ++i) last = clock.mark();
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  CHECK(last <= std::max<std::int64_t>(now, before + 1));
}

TEST_CASE("HistoryWriter: its mark separates what it stamped before from what it stamps after") {
  EventBus bus;
  MemoryHistoryStore store;
  HistoryWriter writer(store, bus);
  auto stamp_of = [&](std::string text) {
    std::promise<std::int64_t> stamped;
    writer.append({.scope = "*", .unix_ms = 0, .from = "alice", .text = std::move(text)},
                  [&](bool stored, HistoryRecord& record, const std::string&) {
                    stamped.set_value(stored ? record.unix_ms : -1);
                  });
    return stamped.get_future().get();
  };
  const auto before = stamp_of("before");
  const auto mark = writer.mark();
  const auto after = stamp_of("after");
  CHECK(before > 0);
  CHECK(before < mark);
  CHECK(mark <= after);
}

#if defined(__linux__)
TEST_CASE("HistoryWriter: its thread's waking up does not preempt an I/O thread (SCHED_BATCH)") {
  EventBus bus;
  MemoryHistoryStore store;
  HistoryWriter writer(store, bus);
  std::promise<int> policy;
  writer.visit([&](HistoryStore*) { policy.set_value(sched_getscheduler(0)); });
  CHECK(policy.get_future().get() == SCHED_BATCH);
}
#endif

TEST_CASE("HistoryWriter: a read that fails reports nothing found, not an empty list") {
  EventBus bus;
  UnreadableStore store;
  HistoryWriter writer(store, bus);
  std::promise<std::optional<HistoryPage>> answered;
  writer.read("*", {.range = {.limit = 10}},
              [&](std::optional<HistoryPage> page) { answered.set_value(std::move(page)); });
  CHECK_FALSE(answered.get_future().get().has_value());
  writer.stop();
  std::optional<HistoryPage> late{HistoryPage{}};
  writer.read("*", {.range = {.limit = 10}},
              [&](std::optional<HistoryPage> page) { late = std::move(page); });
  CHECK_FALSE(late.has_value());  // refused once stopped: not "no history" either
}

namespace {

// A store that notes the size of each batch it is given.
class BatchSizes final : public HistoryStore {
 public:
  void append(std::span<HistoryRecord> records) override {
    std::lock_guard lock(mutex_);
    sizes_.push_back(records.size());
  }
  HistoryPage read(const std::string&, const HistoryRange&) override { return {}; }
  std::string epoch() override { return "test"; }
  std::size_t prune(std::chrono::system_clock::time_point) override { return 0; }
  bool blocking() const noexcept override { return true; }
  std::vector<std::size_t> sizes() const {
    std::lock_guard lock(mutex_);
    return sizes_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::size_t> sizes_;
};

}  // namespace

TEST_CASE("HistoryWriter: what an I/O thread queues in one round of its loop is one batch") {
  EventBus bus;
  BatchSizes store;
  HistoryWriter writer(store, bus);
  asio::io_context io;
  std::atomic<int> stored{0};
  std::promise<void> first_three;
  auto append = [&](int i) {
    writer.append({.scope = "*", .unix_ms = 0, .from = "alice", .text = std::to_string(i)},
                  [&](bool kept, HistoryRecord&, const std::string&) {
                    if (kept && ++stored == 3) first_three.set_value();
                  });
  };
  // One handler (one round's reads) appends, works on for a while (the rest of the
  // round: other connections' input), and appends again; the writer must not take the
  // first on its own meanwhile. A later round, once those are stored, appends one more.
  asio::post(io, [&] {
    append(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the round goes on
    append(2);
    append(3);
    asio::post(io, [&] {  // behind the round's end
      first_three.get_future().wait();
      append(4);
    });
  });
  std::thread thread([&] {
    bind_round_end(io);
    io.run();
  });
  thread.join();
  writer.stop();  // everything queued is written first
  CHECK(stored == 4);
  CHECK(store.sizes() == std::vector<std::size_t>{3, 1});
}

namespace {

// A store that holds its first append until it is let go, so that what comes meanwhile
// makes the next batch; it gives ids as a store does.
class HeldStore final : public HistoryStore {
 public:
  void append(std::span<HistoryRecord> records) override {
    if (first_) {
      first_ = false;
      entered_.set_value();
      held_.wait();
    }
    for (auto& record : records) record.id = ++last_id_;
  }
  HistoryPage read(const std::string&, const HistoryRange&) override { return {}; }
  std::string epoch() override { return "test"; }
  std::size_t prune(std::chrono::system_clock::time_point) override { return 0; }
  bool blocking() const noexcept override { return true; }
  void wait_until_holding() { holding_.wait(); }
  void let_go() { release_.set_value(); }

 private:
  bool first_ = true;  // the writer's thread only
  std::promise<void> entered_;
  std::future<void> holding_ = entered_.get_future();
  std::promise<void> release_;
  std::shared_future<void> held_ = release_.get_future().share();
  std::uint64_t last_id_ = 0;
};

// A connection that notes what each push onto its queue carried (the writer's thread
// pushes, the test reads once the writer has stopped).
class PushCountingPeer final : public Peer {
 public:
  explicit PushCountingPeer(std::uint64_t id) : Peer(id, "127.0.0.1:" + std::to_string(id)) {}
  void send(Payload payload) override {
    std::lock_guard lock(mutex_);
    pushes_.push_back(std::string(payload.view()));
  }
  void send_each(std::span<const Payload* const> payloads) override {
    std::string push;
    for (const Payload* payload : payloads) {
      if (payload) push += payload->view();
    }
    std::lock_guard lock(mutex_);
    pushes_.push_back(std::move(push));
  }
  const Protocol& protocol() const noexcept override { return ::protocol; }
  std::shared_ptr<Peer> shared_peer() override { return {std::shared_ptr<Peer>{}, this}; }
  void defer(std::function<void()> task) override { task(); }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(pushes_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> pushes_;
};

}  // namespace

TEST_CASE("HistoryWriter: its backlog is the messages accepted and not yet in the store") {
  EventBus bus;
  HeldStore store;
  HistoryWriter writer(store, bus);
  CHECK(writer.backlog() == 0);
  std::atomic<int> stored{0};
  auto append = [&](const char* text) {
    writer.append({.scope = "*", .unix_ms = 0, .from = "alice", .text = text},
                  [&](bool kept, HistoryRecord&, const std::string&) { stored += kept; });
  };
  append("1");
  store.wait_until_holding();  // being written
  CHECK(writer.backlog() == 1);
  append("2");
  append("3");  // waiting for the first
  CHECK(writer.backlog() == 3);
  store.let_go();
  // A visit runs once the appends before it are written.
  std::promise<void> after;
  writer.visit([&](HistoryStore*) { after.set_value(); });
  after.get_future().wait();
  CHECK(stored == 3);
  CHECK(writer.backlog() == 0);
}

TEST_CASE(
    "a batch the history writer stored reaches each recipient in one push per audience, "
    "in the order of its ids") {
  EventBus bus;
  Hub hub{bus};
  HeldStore store;
  HistoryWriter writer(store, bus, &hub.batch_answers());
  PushCountingPeer a{1}, b{2}, c{3};
  auto run = [&](PushCountingPeer& from, std::string_view line) {
    std::string scratch;
    return hub.handle(from, LineProtocol::parse(line, scratch));
  };
  for (auto [peer, name] : {std::pair{&a, "alice"}, {&b, "bob"}, {&c, "carol"}}) {
    run(*peer, std::string("LOGIN ") + name);
    run(*peer, "JOIN lobby");
  }
  a.take(), b.take(), c.take();
  hub.set_history(&store, &writer);
  CHECK(run(a, "SAY lobby 1") == Hub::After::pending);
  store.wait_until_holding();  // a batch of its own, held
  // These make the next batch: two runs to the lobby with a DM between them, then a run
  // to everyone.
  run(a, "SAY lobby 2");
  run(b, "SAY lobby 3");
  run(a, "DM carol 4");
  run(b, "SAY lobby 5");
  run(a, "SAY lobby 6");
  run(b, "MSG 7");
  run(a, "MSG 8");
  store.let_go();
  writer.stop();  // everything queued is written and delivered first

  // A sender does not receive its own (these peers do not ask for it).
  CHECK(c.take() == std::vector<std::string>{"SAY lobby alice 1\n",
                                             "SAY lobby alice 2\nSAY lobby bob 3\n", "DM alice 4\n",
                                             "SAY lobby bob 5\nSAY lobby alice 6\n",
                                             "MSG bob 7\nMSG alice 8\n"});
  CHECK(a.take() ==
        std::vector<std::string>{"SAY lobby bob 3\n", "SAY lobby bob 5\n", "MSG bob 7\n"});
  CHECK(b.take() == std::vector<std::string>{"SAY lobby alice 1\n", "SAY lobby alice 2\n",
                                             "SAY lobby alice 6\n", "MSG alice 8\n"});
}

// ---- WriteTurns: the queue of writes of one io_context ---------------------------------

namespace {

// Takes `more` turns after its first, asking for each during the one before, and
// notes the largest capacity of the queue it saw.
class TurnTaker final : public Connection {
 public:
  TurnTaker(WriteTurns& turns, int more) : Connection(0, "test"), turns_(turns), more_(more) {}
  // A Connection nothing else calls: only its turns matter here.
  void shut_down() override {}
  std::uint32_t& table_slot() noexcept override { return slot_; }
  void send(Payload) override {}
  const Protocol& protocol() const noexcept override { std::abort(); }
  std::shared_ptr<Peer> shared_peer() override { return self.lock(); }
  void defer(std::function<void()> task) override { task(); }
  void write_turn() override {
    ++taken;
    largest_capacity = std::max(largest_capacity, turns_.capacity());
    if (more_-- > 0) turns_.schedule(self.lock());
  }
  static std::shared_ptr<TurnTaker> make(WriteTurns& turns, int more) {
    auto made = std::make_shared<TurnTaker>(turns, more);
    made->self = made;
    return made;
  }

  int taken = 0;
  std::size_t largest_capacity = 0;
  std::weak_ptr<TurnTaker> self;

 private:
  WriteTurns& turns_;
  int more_;
  std::uint32_t slot_ = no_table_slot;
};

}  // namespace

TEST_CASE("WriteTurns: after a burst, the queue gives back what the burst made it allocate") {
  asio::io_context io;
  auto& turns = asio::use_service<WriteTurns>(io);
  std::vector<std::shared_ptr<TurnTaker>> writers;
  for (int i = 0; i < 5000; ++i) {
    writers.push_back(TurnTaker::make(turns, 0));
    turns.schedule(writers.back());
  }
  CHECK(turns.capacity() >= 5000);
  io.run();
  CHECK(std::all_of(writers.begin(), writers.end(), [](const auto& w) { return w->taken == 1; }));
  CHECK(turns.capacity() <= WriteTurns::shrink_above);

  // Small rounds after it keep what they have: no allocation per round.
  for (int i = 0; i < 3; ++i) turns.schedule(writers[static_cast<std::size_t>(i)]);
  io.restart();
  io.run();
  const auto settled = turns.capacity();
  for (int i = 0; i < 3; ++i) turns.schedule(writers[static_cast<std::size_t>(i)]);
  io.restart();
  io.run();
  CHECK(turns.capacity() == settled);
}

TEST_CASE("WriteTurns: under sustained load the queue holds the writers waiting, not every turn") {
  asio::io_context io;
  auto& turns = asio::use_service<WriteTurns>(io);
  // 64 writers that each ask for the next turn during their turn, 1000 times: the queue
  // never empties until all of them are done (64,000 turns).
  std::vector<std::shared_ptr<TurnTaker>> writers;
  for (int i = 0; i < 64; ++i) {
    writers.push_back(TurnTaker::make(turns, 999));
    turns.schedule(writers.back());
  }
  io.run();
  std::size_t largest = 0;
  for (const auto& w : writers) {
    CHECK(w->taken == 1000);
    largest = std::max(largest, w->largest_capacity);
  }
  CHECK(largest <= 4 * 64);  // not tens of thousands of served slots
}

// ---- the room limits, list sizes, and closing connections ------------------------------

namespace {

// A connection the session has begun to close (Peer::closing).
class ClosingPeer final : public Peer {
 public:
  explicit ClosingPeer(std::uint64_t id) : Peer(id, "127.0.0.1:2000") {}
  void send(Payload payload) override { received += payload.view(); }
  const Protocol& protocol() const noexcept override { return ::protocol; }
  std::shared_ptr<Peer> shared_peer() override { return {std::shared_ptr<Peer>{}, this}; }
  void defer(std::function<void()> task) override { task(); }
  void close() noexcept { mark_closing(); }
  std::string received;
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "a closing connection is sent nothing: no list is even built for it") {
  MemoryHistoryStore store;
  hub.set_history(&store, nullptr);
  login_all();
  ClosingPeer dave(4);
  std::string scratch;
  auto dave_runs = [&](std::string_view line) {
    return hub.handle(dave, LineProtocol::parse(line, scratch));
  };
  dave_runs("LOGIN dave");
  dave_runs("JOIN lobby");
  dave_runs("SAY lobby hello");
  CHECK(dave.received == "OK\nOK\n");
  dave.received.clear();

  dave.close();
  for (auto line : {"WHO", "WHO lobby", "ROOMS", "HISTORY lobby", "HISTORY *", "PING x", "HELP"}) {
    CAPTURE(line);
    CHECK(dave_runs(line) == Hub::After::stay);
    CHECK(dave.received.empty());
  }
  // Everyone else is answered as ever, and still sees dave until he has left.
  run(a, "WHO lobby");
  CHECK(a.take() == "USER dave\nEND\n");
  hub.leave(dave);
}

TEST_CASE_FIXTURE(Fixture, "set_limits: the room limits, and replies of a quarter of sendq_bytes") {
  ServerOptions options;
  options.max_rooms = 2;
  options.max_rooms_per_user = 1;
  options.max_reply_bytes = 1024;
  options.sendq_bytes = 100;  // replies of 25 bytes at most
  hub.set_limits(options);
  login_all();
  run(a, "JOIN one");
  run(a, "JOIN two");  // alice's second room
  CHECK(a.take() == "OK\nERR too-many-rooms\n");
  run(b, "JOIN two");
  run(c, "JOIN three");  // the server's third room
  run(c, "JOIN ONE");
  CHECK(b.take() == "OK\n");
  CHECK(c.take() == "ERR too-many-rooms\nOK\n");
  CHECK(a.take() == "INFO carol joined one\n");

  // "USER alice\n" and "MORE 2\nEND\n" make 22 bytes; with "USER Bob\n" it would be 31.
  run(a, "WHO");
  CHECK(a.take() == "USER alice\nMORE 2\nEND\n");
  run(a, "ROOMS");  // "ROOM one 2\n" + "ROOM two 1\n" + "END\n": 26 bytes
  CHECK(a.take() == "ROOM one 2\nMORE 1\nEND\n");

  options.sendq_bytes = 0;  // unlimited: max_reply_bytes alone
  options.max_rooms_per_user = 0;
  hub.set_limits(options);
  run(a, "WHO");
  CHECK(a.take() == "USER alice\nUSER Bob\nUSER carol\nEND\n");
  run(a, "JOIN two");
  CHECK(a.take() == "OK\n");
  CHECK(b.take() == "INFO alice joined two\n");
}

// ---- HISTORY's target, typed -------------------------------------------------------------

namespace {

// The labels of the HIST lines of an answer: "HIST <label> ...".
std::vector<std::string> hist_labels(const std::string& answer) {
  std::vector<std::string> labels;
  for (std::size_t at = 0; answer.compare(at, 5, "HIST ") == 0;) {
    labels.push_back(answer.substr(at + 5, answer.find(' ', at + 5) - at - 5));
    at = answer.find('\n', at) + 1;
  }
  return labels;
}

}  // namespace

TEST_CASE_FIXTURE(Fixture,
                  "HISTORY's target comes typed: a room's, the public feed's, a user's DMs") {
  std::string scratch;
  const Command room = LineProtocol::parse("HISTORY LoBBy 5", scratch);
  CHECK((room.history_of == HistoryOf::room && room.name == "LoBBy" && room.text == "5"));
  const Command everyone = LineProtocol::parse("HISTORY *", scratch);
  CHECK((everyone.history_of == HistoryOf::everyone && everyone.name.empty()));
  const Command dms = LineProtocol::parse("HISTORY @BOB", scratch);
  CHECK((dms.history_of == HistoryOf::user && dms.name == "BOB"));

  MemoryHistoryStore store;
  hub.set_history(&store, nullptr);
  login_all();
  run(a, "JOIN lobby");
  run(a, "SAY lobby in the lobby");
  run(a, "MSG to everyone");
  run(a, "DM bob psst");
  a.take(), b.take(), c.take();
  hub.handle(a, room);
  CHECK(hist_labels(a.take()) == std::vector<std::string>{"LoBBy"});  // as it was asked
  hub.handle(a, everyone);
  CHECK(hist_labels(a.take()) == std::vector<std::string>{"*"});
  hub.handle(a, dms);
  const std::string answer = a.take();
  CHECK(hist_labels(answer) == std::vector<std::string>{"@BOB"});
  CHECK(hist_entries(answer) == std::vector<std::string>{"alice psst"});

  hub.handle(a, {.verb = Verb::history, .history_of = HistoryOf::user});  // "HISTORY @"
  CHECK(a.take() == "END\n");
  hub.handle(a, {.verb = Verb::history});  // a room, but which?
  CHECK(a.take() == "ERR missing-argument\n");
}

// ---- the Hub over another Directory and Delivery -----------------------------------------

namespace {

// Delivery within this process, counting what it is asked to do.
class CountingDelivery final : public Delivery {
 public:
  explicit CountingDelivery(const LocalDirectory& directory) : local_(directory) {}
  void to_everyone(const ServerMessage& message, const Peer* except) override {
    ++calls;
    local_.to_everyone(message, except);
  }
  std::string_view to_room(std::string_view room_key, ServerMessage message,
                           const Peer* except) override {
    ++calls;
    return local_.to_room(room_key, message, except);
  }
  std::string_view to_user(std::string_view name, const ServerMessage& message) override {
    ++calls;
    return local_.to_user(name, message);
  }
  int calls = 0;

 private:
  LocalDelivery local_;
};

}  // namespace

TEST_CASE("the Hub takes any Directory and Delivery; a message to many is one delivery") {
  EventBus bus;
  auto directory = std::make_unique<LocalDirectory>();
  auto delivery = std::make_unique<CountingDelivery>(*directory);
  CountingDelivery& counted = *delivery;
  Hub hub(bus, std::move(directory), std::move(delivery));
  FakePeer a{1}, b{2}, c{3};
  std::string scratch;
  auto run = [&](FakePeer& from, std::string_view line) {
    return hub.handle(from, LineProtocol::parse(line, scratch));
  };
  run(a, "LOGIN alice"), run(b, "LOGIN bob"), run(c, "LOGIN carol");
  run(b, "JOIN lobby"), run(c, "JOIN lobby");
  a.take(), b.take(), c.take();
  counted.calls = 0;
  run(a, "MSG hi");
  run(b, "SAY lobby hello");
  run(c, "DM alice psst");
  CHECK(counted.calls == 3);
  CHECK(a.take() == "DM carol psst\n");
  CHECK(b.take() == "MSG alice hi\n");
  CHECK(c.take() == "MSG alice hi\nSAY lobby bob hello\n");
}

// ---- LOGIN through an authenticator ------------------------------------------------------

namespace {

// Keeps each LOGIN's `done` for the test to call.
class HeldAuthenticator final : public Authenticator {
 public:
  void authenticate(const LoginRequest&, Done done) override { held.push_back(std::move(done)); }
  std::vector<Done> held;
};

// A connection owned by a shared_ptr, as sessions are; its defer() runs the task at once.
class SharedPeer final : public Peer, public std::enable_shared_from_this<SharedPeer> {
 public:
  explicit SharedPeer(std::uint64_t id) : Peer(id, "127.0.0.1:3000") {}
  void send(Payload payload) override { received += payload.view(); }
  const Protocol& protocol() const noexcept override { return ::protocol; }
  std::shared_ptr<Peer> shared_peer() override { return shared_from_this(); }
  void defer(std::function<void()> task) override { task(); }
  void close() noexcept { mark_closing(); }
  std::string received;
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "an authenticator's answer finishes the LOGIN when it comes") {
  auto authenticator = std::make_shared<HeldAuthenticator>();
  hub.set_authenticator(authenticator);
  auto dave = std::make_shared<SharedPeer>(4);
  std::string scratch;
  CHECK(hub.handle(*dave, LineProtocol::parse("LOGIN dave", scratch)) == Hub::After::wait);
  CHECK(hub.handle(*dave, LineProtocol::parse("LOGIN no!", scratch)) == Hub::After::stay);
  CHECK(dave->received == "ERR invalid-username\n");  // not even asked
  dave->received.clear();
  REQUIRE(authenticator->held.size() == 1);
  CHECK(hub.user_count() == 0);
  CHECK(hub.work_in_flight() == 0);  // a pending LOGIN holds up no shutdown

  authenticator->held[0](LoginResult::accept("Dave"));
  CHECK(dave->received == "OK\n");
  CHECK(dave->name() == "Dave");
  CHECK(hub.work_in_flight() == 1);  // from the answer to the end of the peer's defer
  CHECK(hub.end_work());
  CHECK(sink->lines == std::vector<std::string>{"login Dave  "});
  hub.leave(*dave);
}

TEST_CASE_FIXTURE(Fixture, "an answer for a connection that closed, or went, logs nobody in") {
  auto authenticator = std::make_shared<HeldAuthenticator>();
  hub.set_authenticator(authenticator);
  auto closing = std::make_shared<SharedPeer>(4);
  auto gone = std::make_shared<SharedPeer>(5);
  std::string scratch;
  hub.handle(*closing, LineProtocol::parse("LOGIN dave", scratch));
  hub.handle(*gone, LineProtocol::parse("LOGIN erin", scratch));
  REQUIRE(authenticator->held.size() == 2);
  closing->close();
  gone.reset();
  authenticator->held[0](LoginResult::accept());
  authenticator->held[1](LoginResult::accept());
  CHECK(closing->received.empty());
  CHECK_FALSE(closing->logged_in());
  CHECK(hub.user_count() == 0);
  CHECK(sink->lines.empty());
  hub.end_work();  // the closing one's defer ran, as a session's does
  CHECK(hub.work_in_flight() == 0);
}

TEST_CASE("an answer that comes after the Hub has gone is dropped") {
  auto authenticator = std::make_shared<HeldAuthenticator>();
  auto dave = std::make_shared<SharedPeer>(4);
  {
    EventBus bus;
    Hub hub{bus};
    hub.set_authenticator(authenticator);
    std::string scratch;
    hub.handle(*dave, LineProtocol::parse("LOGIN dave", scratch));
  }
  REQUIRE(authenticator->held.size() == 1);
  authenticator->held[0](LoginResult::accept());
  CHECK(dave->received.empty());
  CHECK_FALSE(dave->logged_in());
}

TEST_CASE_FIXTURE(Fixture, "an authenticator refuses with its code, or with invalid-username") {
  auto authenticator = std::make_shared<HeldAuthenticator>();
  hub.set_authenticator(authenticator);
  auto dave = std::make_shared<SharedPeer>(4);
  std::string scratch;
  auto answer = [&](LoginResult result) {
    hub.handle(*dave, LineProtocol::parse("LOGIN dave", scratch));
    authenticator->held.back()(std::move(result));
    hub.end_work();
    return std::exchange(dave->received, {});
  };
  CHECK(answer(LoginResult::refuse()) == "ERR invalid-username\n");
  CHECK(answer(LoginResult::refuse(ReplyError::username_taken)) == "ERR username-taken\n");
  CHECK(answer(LoginResult::refuse(static_cast<ReplyError>(1000))) == "ERR invalid-username\n");
  CHECK(answer(LoginResult::accept("no way")) == "ERR invalid-username\n");
  CHECK(hub.try_login(a, "alice") == std::nullopt);  // the host's own: not asked
  CHECK(answer(LoginResult::accept("ALICE")) == "ERR username-taken\n");
  CHECK(answer(LoginResult::accept()) == "OK\n");
  hub.leave(*dave);
}

TEST_CASE("a new user's first line is its LOGIN's OK, even while others talk") {
  // A message for everyone is delivered from its sender's thread; a LOGIN on another
  // thread must not let one through before its OK.
  EventBus bus;
  Hub hub{bus};
  auto run = [&hub](Peer& from, std::string_view line) {
    std::string scratch;
    return hub.handle(from, LineProtocol::parse(line, scratch));
  };
  FakePeer talker{1};
  run(talker, "LOGIN talker");
  std::atomic<bool> done{false};
  std::thread chatter([&] {
    while (!done.load()) run(talker, "MSG hi");
  });
  std::vector<std::unique_ptr<LockedPeer>> newcomers;
  for (int i = 0; i < 3000; ++i) {
    newcomers.push_back(std::make_unique<LockedPeer>(2 + i));
    run(*newcomers.back(), "LOGIN user" + std::to_string(i));
  }
  done.store(true);
  chatter.join();
  int early = 0;
  for (auto& peer : newcomers) early += peer->first_line() != "OK";
  CHECK(early == 0);
}
