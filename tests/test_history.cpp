// PROTOCOL.md "History" over real sockets: HISTORY <room> [n], HISTORY * [n] and
// HISTORY @<username> [n], every row checked as a client sees it, byte for byte;
// history = false; retention; and "a message is stored before it is delivered".
//
// Each test runs against every HistoryStore the build has: the server's default (in
// memory), when built with SQLite a SqliteHistoryStore in a fresh directory, and a
// RedisHistoryStore on a redis-server of its own. Another store is one more entry in
// HISTORY_STORES.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <asio/io_context.hpp>
#include <socketchat/error.hpp>
#include <socketchat/history_store.hpp>
#include <socketchat/memory_history_store.hpp>
#include <socketchat/redis_history_store.hpp>
#include <socketchat/server.hpp>
#if SOCKETCHAT_HAS_SQLITE
#include <socketchat/sqlite_history_store.hpp>
#endif

#include "support/doctest_lines.hpp"
#include "support/history_store_contract.hpp"
#include "support/line_client.hpp"
#include "support/redis_server.hpp"
#include "support/running_server.hpp"
#if SOCKETCHAT_HAS_SQLITE
#include "support/temp_dir.hpp"
#endif

using namespace socketchat;
using namespace socketchat::test;
using Where = LineClient::Where;
using Lines = std::vector<std::string>;

namespace {

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- The stores every test runs against --------------------------------------------

// The server's own default: no store given, history kept in memory.
struct InMemory {
  std::shared_ptr<HistoryStore> open() { return nullptr; }
};

#if SOCKETCHAT_HAS_SQLITE
// A SqliteHistoryStore in a fresh directory, removed with everything in it.
struct Sqlite {
  TempDir dir{"socketchat-history"};
  std::shared_ptr<HistoryStore> open() {
    return std::make_shared<SqliteHistoryStore>(dir.path / "history.db");
  }
};
#endif

// A RedisHistoryStore on a redis-server of its own (what a cluster's nodes share).
struct Redis {
  RedisServer redis;
  std::shared_ptr<HistoryStore> open() {
    return std::make_shared<RedisHistoryStore>(
        RedisOptions{.url = "redis+unix://" + redis.unix_path()});
  }
};

#if SOCKETCHAT_HAS_SQLITE
#define HISTORY_STORES InMemory, Sqlite, Redis
#define LOCAL_HISTORY_STORES InMemory, Sqlite
#else
#define HISTORY_STORES InMemory, Redis
#define LOCAL_HISTORY_STORES InMemory
#endif

}  // namespace

TYPE_TO_STRING(InMemory);
#if SOCKETCHAT_HAS_SQLITE
TYPE_TO_STRING(Sqlite);
#endif
TYPE_TO_STRING(Redis);

namespace {

// loopback_options() with history in `store` (null: the server's in-memory default).
ServerOptions history_options(std::shared_ptr<HistoryStore> store) {
  auto options = loopback_options();
  options.history_store = std::move(store);
  return options;
}

// A started server on a store of kind `Kind`; `adjust` may change the options first.
// Kind is the first base: a database directory outlives the server that uses it.
template <class Kind>
struct HistoryServer : Kind, RunningServer {
  explicit HistoryServer(const std::function<void(ServerOptions&)>& adjust = {})
      : RunningServer(make_options(*this, adjust)) {}
  static ServerOptions make_options(Kind& kind, const std::function<void(ServerOptions&)>& adjust) {
    auto options = history_options(kind.open());
    if (adjust) adjust(options);
    return options;
  }
};

// A decorator that counts what the server asks of the store it wraps.
class CountingStore final : public HistoryStore {
 public:
  explicit CountingStore(std::shared_ptr<HistoryStore> inner)
      : inner_(inner ? std::move(inner) : std::make_shared<MemoryHistoryStore>()) {}
  void append(std::span<HistoryRecord> records) override {
    inner_->append(records);
    appended_ += records.size();
  }
  HistoryPage read(const std::string& scope, const HistoryRange& range) override {
    return inner_->read(scope, range);
  }
  std::string epoch() override { return inner_->epoch(); }
  std::size_t prune(std::chrono::system_clock::time_point cutoff) override {
    auto removed = inner_->prune(cutoff);
    pruned_ += removed;
    ++prunes_;
    return removed;
  }
  bool blocking() const noexcept override { return inner_->blocking(); }

  std::size_t appended() const { return appended_; }
  std::size_t prunes() const { return prunes_; }
  std::size_t pruned() const { return pruned_; }

 private:
  std::shared_ptr<HistoryStore> inner_;
  std::atomic<std::size_t> appended_{0}, prunes_{0}, pruned_{0};
};

// `request` (a HISTORY command) must be answered by HIST lines for `target` (echoed
// as written), each with a unix-ms between `since_ms` and now (1 s of slack for the
// clock) that never decreases, then END. Returns each entry as "<from> <text>": with
// the target and the time checked, that is every byte of the line.
Lines history(LineClient& client, const std::string& request, std::string_view target,
              std::int64_t since_ms, Where where = Where::current()) {
  const Lines lines = listing(client, request, where);
  const std::int64_t until_ms = now_unix_ms();
  const std::string prefix = "HIST " + std::string(target) + " ";
  Lines entries;
  std::int64_t previous_ms = 0;
  for (const auto& line : lines) {
    auto fail = [&](const std::string& why) {
      ADD_FAIL_CHECK_AT(
          where.file_name(), static_cast<int>(where.line()),
          why << ": \"" << escaped(line) << "\" answering \"" << escaped(request) << "\"");
    };
    if (!line.starts_with(prefix)) {
      fail("not \"" + escaped(prefix) + "...\"");
      entries.push_back("<malformed> " + line);
      continue;
    }
    const std::string_view rest = std::string_view(line).substr(prefix.size());
    const auto space = rest.find(' ');
    const std::string_view ms_text = rest.substr(0, space);
    if (space == std::string_view::npos || ms_text.empty() ||
        !std::all_of(ms_text.begin(), ms_text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        ms_text.size() > 15) {
      fail("no unix-ms");
      entries.push_back("<malformed> " + line);
      continue;
    }
    const std::int64_t ms = std::stoll(std::string(ms_text));
    if (ms < since_ms - 1000 || ms > until_ms + 1000) {
      fail("unix-ms " + std::to_string(ms) + " is not between " + std::to_string(since_ms) +
           " and " + std::to_string(until_ms));
    }
    if (ms < previous_ms) {
      fail("unix-ms " + std::to_string(ms) + " after " + std::to_string(previous_ms) +
           ": not oldest first");
    }
    previous_ms = ms;
    entries.emplace_back(rest.substr(space + 1));
  }
  return entries;
}

// Three ways to send a message, and where its history is: one kind per row of the
// History table. alice sends to bob; both are in room "lobby".
struct Channel {
  const char* name;
  std::string send;     // alice's command, before the text
  std::string arrives;  // what bob receives, before the text
  std::string target;   // of HISTORY, as alice writes it
};
const Channel channels[] = {
    {"room", "SAY lobby ", "SAY lobby alice ", "lobby"},
    {"public", "MSG ", "MSG alice ", "*"},
    {"dm", "DM bob ", "DM alice ", "@bob"},
};

// alice and bob logged in and both in "lobby".
struct Pair {
  LineClient alice, bob;
};
Pair pair_in_lobby(std::uint16_t port) {
  Pair p{logged_in(port, "alice"), logged_in(port, "bob")};
  p.alice.send("JOIN lobby\n");
  p.alice.expect_line("OK");
  p.bob.send("JOIN lobby\n");
  p.bob.expect_line("OK");
  p.alice.expect_line("INFO bob joined lobby");
  return p;
}

// "<from> m<first>" ... "<from> m<last>"
Lines numbered(const std::string& from, int first, int last) {
  Lines out;
  for (int i = first; i <= last; ++i) out.push_back(from + " m" + std::to_string(i));
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "HISTORY <room> [n]: the latest n, oldest first, as HIST <room> <unix-ms> <user> <text>", Kind,
    HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto alice = logged_in(s.port, "Alice");
  auto bob = logged_in(s.port, "bob");
  auto outsider = logged_in(s.port, "outsider");
  alice.send("JOIN General\n");
  alice.expect_line("OK");
  bob.send("JOIN general\n");
  bob.expect_line("OK");
  alice.expect_line("INFO bob joined General");
  outsider.send("JOIN other\n");
  outsider.expect_line("OK");

  alice.send("SAY general one\n");
  bob.expect_line("SAY General Alice one");
  bob.send("SAY GENERAL two\n");
  alice.expect_line("SAY General bob two");
  alice.send("SAY General three   spaced\tand tabbed  \n");
  bob.expect_line("SAY General Alice three   spaced\tand tabbed");
  // Other rooms, the public feed and DMs are not this room's history.
  outsider.send("SAY other elsewhere\nMSG public\nDM bob private\n");
  alice.expect_line("MSG outsider public");
  bob.expect_line("MSG outsider public");
  bob.expect_line("DM outsider private");

  const Lines all{"Alice one", "bob two", "Alice three   spaced\tand tabbed"};
  // The target is echoed as the requester wrote it, not as the room is spelled.
  CHECK(history(bob, "HISTORY general", "general", since) == all);
  CHECK(history(alice, "HISTORY General", "General", since) == all);
  CHECK(history(alice, "history gEnErAl", "gEnErAl", since) == all);
  CHECK(history(bob, "HISTORY GENERAL 2", "GENERAL", since) ==
        Lines{"bob two", "Alice three   spaced\tand tabbed"});
  CHECK(history(bob, "HISTORY general 1", "general", since) ==
        Lines{"Alice three   spaced\tand tabbed"});
  CHECK(history(bob, "HISTORY general 3", "general", since) == all);
  CHECK(history(bob, "HISTORY general 500", "general", since) == all);
  CHECK(history(bob, "  HISTORY \t general \t 2 \t", "general", since) ==
        Lines{"bob two", "Alice three   spaced\tand tabbed"});
  CHECK(history(outsider, "HISTORY other", "other", since) == Lines{"outsider elsewhere"});
  // Asking tells nobody else.
  alice.expect_quiet();
  outsider.expect_quiet();
}

TEST_CASE_TEMPLATE("the default n is 50", Kind, HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto lobby = pair_in_lobby(s.port);
  auto& alice = lobby.alice;
  auto& bob = lobby.bob;
  for (const auto& channel : channels) {
    CAPTURE(channel.name);
    std::string burst;
    for (int i = 0; i < 60; ++i) burst += channel.send + "m" + std::to_string(i) + "\n";
    alice.send(burst);
    for (int i = 0; i < 60; ++i) bob.expect_line(channel.arrives + "m" + std::to_string(i));
    CHECK(history(alice, "HISTORY " + channel.target, channel.target, since) ==
          numbered("alice", 10, 59));
  }
}

TEST_CASE_TEMPLATE("an n larger than 500 is treated as 500", Kind, HISTORY_STORES) {
  HistoryServer<Kind> s([](ServerOptions& options) {
    options.rate_per_second = 10000;  // a raised limit, not none: 510 in one burst
    options.rate_burst = 10000;
  });
  const auto since = now_unix_ms();
  auto lobby = pair_in_lobby(s.port);
  auto& alice = lobby.alice;
  auto& bob = lobby.bob;
  for (const auto& channel : channels) {
    CAPTURE(channel.name);
    std::string burst;
    for (int i = 0; i < 510; ++i) burst += channel.send + "m" + std::to_string(i) + "\n";
    alice.send(burst);
    for (int i = 0; i < 510; ++i) bob.expect_line(channel.arrives + "m" + std::to_string(i));
    const auto latest_500 = numbered("alice", 10, 509);
    for (const char* n : {"1000", "501", "500", "99999999999999999999", "18446744073709551616"}) {
      CAPTURE(n);
      CHECK(history(alice, "HISTORY " + channel.target + " " + n, channel.target, since) ==
            latest_500);
    }
    CHECK(history(alice, "HISTORY " + channel.target + " 499", channel.target, since) ==
          numbered("alice", 11, 509));
  }
}

TEST_CASE_TEMPLATE("invalid-count for an n that is not a whole number from 1 up", Kind,
                   HISTORY_STORES) {
  HistoryServer<Kind> s;
  auto lobby = pair_in_lobby(s.port);
  auto& alice = lobby.alice;
  auto& bob = lobby.bob;
  alice.send("SAY lobby x\nMSG y\nDM bob z\n");
  bob.expect_line("SAY lobby alice x");
  bob.expect_line("MSG alice y");
  bob.expect_line("DM alice z");
  for (const char* target : {"lobby", "*", "@bob"}) {
    for (const char* n : {"0", "-1", "abc", "1.5", "2x", "00", "-0", "1e3", "0x10", "x2",
                          "-99999999999999999999"}) {
      CAPTURE(target);
      CAPTURE(n);
      alice.send("HISTORY " + std::string(target) + " " + n + "\n");
      alice.expect_line("ERR invalid-count");
    }
  }
  bob.expect_quiet();
}

TEST_CASE_TEMPLATE("HISTORY <room> needs membership, whether or not the room exists", Kind,
                   HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto lobby = pair_in_lobby(s.port);
  auto& alice = lobby.alice;
  auto& bob = lobby.bob;
  auto carol = logged_in(s.port, "carol");
  alice.send("SAY lobby secret\n");
  bob.expect_line("SAY lobby alice secret");

  // lobby exists; nowhere does not; "bad!" cannot.
  for (const char* line : {"HISTORY lobby\n", "HISTORY LOBBY 5\n", "HISTORY nowhere\n",
                           "HISTORY nowhere 1\n", "HISTORY bad!\n"}) {
    CAPTURE(line);
    carol.send(line);
    carol.expect_line("ERR not-in-room");
  }
  // A member who leaves loses access; joining again brings it back.
  bob.send("PART lobby\n");
  bob.expect_line("OK");
  alice.expect_line("INFO bob left lobby");
  bob.send("HISTORY lobby\n");
  bob.expect_line("ERR not-in-room");
  carol.send("JOIN lobby\n");
  carol.expect_line("OK");
  alice.expect_line("INFO carol joined lobby");
  CHECK(history(carol, "HISTORY lobby", "lobby", since) == Lines{"alice secret"});

  for (const char* line : {"HISTORY\n", "HISTORY   \n", "history\t\r\n"}) {
    CAPTURE(escaped(line));
    carol.send(line);
    carol.expect_line("ERR missing-argument");
  }
}

TEST_CASE_TEMPLATE("a room's history outlives the room and belongs to its name", Kind,
                   HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto alice = logged_in(s.port, "alice");
  auto bob = logged_in(s.port, "bob");
  auto carol = logged_in(s.port, "carol");
  alice.send("JOIN Lobby\n");
  alice.expect_line("OK");
  bob.send("JOIN lobby\n");
  bob.expect_line("OK");
  alice.expect_line("INFO bob joined Lobby");
  alice.send("SAY lobby before\n");
  bob.expect_line("SAY Lobby alice before");
  bob.send("SAY lobby also before\n");
  alice.expect_line("SAY Lobby bob also before");

  alice.send("PART lobby\n");
  alice.expect_line("OK");
  bob.expect_line("INFO alice left Lobby");
  bob.send("PART lobby\n");
  bob.expect_line("OK");
  carol.send("ROOMS\n");
  carol.expect_line("END");  // the room is gone
  carol.send("WHO lobby\n");
  carol.expect_line("ERR no-such-room");

  carol.send("JOIN lobby\n");  // a new room of the same name, spelled anew
  carol.expect_line("OK");
  CHECK(history(carol, "HISTORY LOBBY", "LOBBY", since) ==
        Lines{"alice before", "bob also before"});
  carol.send("SAY lobby after\n");
  carol.expect_quiet();
  CHECK(history(carol, "HISTORY lobby", "lobby", since) ==
        Lines{"alice before", "bob also before", "carol after"});
  alice.expect_quiet();
  bob.expect_quiet();
}

TEST_CASE_TEMPLATE("HISTORY * [n]: the public MSGs, as HIST * <unix-ms> <user> <text>", Kind,
                   HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto alice = logged_in(s.port, "alice");
  auto bob = logged_in(s.port, "Bob");
  auto carol = logged_in(s.port, "carol");
  carol.send("HISTORY *\n");
  carol.expect_line("END");  // nothing said yet

  alice.send("MSG first\n");
  bob.expect_line("MSG alice first");
  carol.expect_line("MSG alice first");
  bob.send("MSG second  with\tblanks \n");
  alice.expect_line("MSG Bob second  with\tblanks");
  carol.expect_line("MSG Bob second  with\tblanks");
  // Room messages and DMs are not the public feed.
  alice.send("JOIN lobby\nSAY lobby in a room\nDM carol just for carol\n");
  alice.expect_line("OK");
  carol.expect_line("DM alice just for carol");

  const Lines all{"alice first", "Bob second  with\tblanks"};
  CHECK(history(carol, "HISTORY *", "*", since) == all);  // no membership needed
  CHECK(history(alice, "history *", "*", since) == all);
  CHECK(history(bob, "HISTORY\t*\t2", "*", since) == all);
  CHECK(history(carol, "HISTORY * 1", "*", since) == Lines{"Bob second  with\tblanks"});
  CHECK(history(carol, "HISTORY * 500", "*", since) == all);
  alice.expect_quiet();
  bob.expect_quiet();
}

TEST_CASE("two servers on one Redis: what is said on one is the other's history too") {
  RedisServer redis;
  const RedisOptions shared{.url = "redis+unix://" + redis.unix_path()};
  RunningServer one(history_options(std::make_shared<RedisHistoryStore>(shared)));
  RunningServer two(history_options(std::make_shared<RedisHistoryStore>(shared)));
  const auto since = now_unix_ms();
  auto alice = logged_in(one.port, "alice");
  auto bob = logged_in(two.port, "bob");
  alice.send("MSG said on one\nJOIN ops\nSAY ops in a room on one\n");
  alice.expect_line("OK");
  bob.send("MSG said on two\nJOIN ops\n");
  bob.expect_line("OK");
  CHECK(history(bob, "HISTORY *", "*", since) == Lines{"alice said on one", "bob said on two"});
  CHECK(history(alice, "HISTORY *", "*", since) == Lines{"alice said on one", "bob said on two"});
  CHECK(history(bob, "HISTORY ops", "ops", since) == Lines{"alice in a room on one"});
}

TEST_CASE_TEMPLATE("HISTORY @<username> [n]: the DMs between the two, online or not", Kind,
                   HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto alice = logged_in(s.port, "alice");
  auto carol = logged_in(s.port, "carol");
  {
    auto bob = logged_in(s.port, "Bob");
    alice.send("DM bob hi bob\n");
    bob.expect_line("DM alice hi bob");
    bob.send("DM ALICE hi  alice\n");
    alice.expect_line("DM Bob hi  alice");
    alice.send("DM Bob third\tone\n");
    bob.expect_line("DM alice third\tone");
    carol.send("DM alice from carol\n");
    alice.expect_line("DM carol from carol");

    const Lines conversation{"alice hi bob", "Bob hi  alice", "alice third\tone"};
    // Both directions, seen alike by both; the target echoed as written.
    CHECK(history(alice, "HISTORY @Bob", "@Bob", since) == conversation);
    CHECK(history(alice, "HISTORY @bob", "@bob", since) == conversation);
    CHECK(history(bob, "HISTORY @aLiCe", "@aLiCe", since) == conversation);
    CHECK(history(bob, "history @alice 2", "@alice", since) ==
          Lines{"Bob hi  alice", "alice third\tone"});
    CHECK(history(alice, "HISTORY @bob 1", "@bob", since) == Lines{"alice third\tone"});
    // A third user sees only her own conversations.
    CHECK(history(carol, "HISTORY @Bob", "@Bob", since).empty());
    CHECK(history(carol, "HISTORY @alice", "@alice", since) == Lines{"carol from carol"});
    CHECK(history(alice, "HISTORY @carol", "@carol", since) == Lines{"carol from carol"});
    // DMs are not the public feed.
    CHECK(history(carol, "HISTORY *", "*", since).empty());

    bob.send("QUIT\n");
    bob.expect_eof();
  }
  alice.expect_line("INFO Bob disconnected");
  carol.expect_line("INFO Bob disconnected");
  // bob is offline: the conversation is still there.
  CHECK(history(alice, "HISTORY @bob", "@bob", since) ==
        Lines{"alice hi bob", "Bob hi  alice", "alice third\tone"});
  CHECK(history(carol, "HISTORY @bob", "@bob", since).empty());
  // Nobody: just END, for a user online, one who never was, and one who left.
  auto dave = logged_in(s.port, "dave");
  CHECK(history(dave, "HISTORY @alice", "@alice", since).empty());
  CHECK(history(dave, "HISTORY @nobody", "@nobody", since).empty());
  CHECK(history(dave, "HISTORY @bob 5", "@bob", since).empty());
  // Whoever logs in as bob next is a new session: the earlier one's DMs are not his.
  auto bob = logged_in(s.port, "Bob");
  CHECK(history(bob, "HISTORY @alice", "@alice", since).empty());
  CHECK(history(alice, "HISTORY @bob", "@bob", since) ==
        Lines{"alice hi bob", "Bob hi  alice", "alice third\tone"});  // still alice's
}

TEST_CASE_TEMPLATE("HISTORY @<username>: a name taken after its user left reads none of its DMs",
                   Kind, HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  {
    auto alice = logged_in(s.port, "alice");
    auto bob = logged_in(s.port, "bob");
    alice.send("DM bob the door code is 4711\n");
    bob.expect_line("DM alice the door code is 4711");
    bob.send("DM alice thanks\n");
    alice.expect_line("DM bob thanks");
    const Lines theirs{"alice the door code is 4711", "bob thanks"};
    CHECK(history(bob, "HISTORY @alice", "@alice", since) == theirs);
    CHECK(history(alice, "HISTORY @bob", "@bob", since) == theirs);
    alice.send("QUIT\n");
    alice.expect_eof();
    bob.expect_line("INFO alice disconnected");
    bob.send("QUIT\n");
    bob.expect_eof();
  }
  // Anyone may take the free names now, and asks for the conversation.
  auto mallory = logged_in(s.port, "bob");
  CHECK(history(mallory, "HISTORY @alice", "@alice", since).empty());
  CHECK(history(mallory, "HISTORY @ALICE 500", "@ALICE", since).empty());
  auto eve = logged_in(s.port, "Alice");
  CHECK(history(eve, "HISTORY @bob 500", "@bob", since).empty());

  // Their own sessions' DMs are theirs, the first sent the moment after LOGIN.
  auto carol = logged_in(s.port, "carol");
  carol.send("DM bob welcome\n");
  mallory.expect_line("DM carol welcome");
  mallory.send("DM alice hello\n");
  eve.expect_line("DM bob hello");
  eve.send("DM bob hi\n");
  mallory.expect_line("DM Alice hi");
  CHECK(history(mallory, "HISTORY @alice", "@alice", since) == Lines{"bob hello", "Alice hi"});
  CHECK(history(eve, "HISTORY @bob", "@bob", since) == Lines{"bob hello", "Alice hi"});
  CHECK(history(mallory, "HISTORY @carol", "@carol", since) == Lines{"carol welcome"});
  CHECK(history(carol, "HISTORY @bob", "@bob", since) == Lines{"carol welcome"});
}

TEST_CASE_TEMPLATE("texts come back exactly: SQL metacharacters, escapes, unicode", Kind,
                   HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto lobby = pair_in_lobby(s.port);
  auto& alice = lobby.alice;
  auto& bob = lobby.bob;
  const std::string texts[] = {
      "'); DROP TABLE messages;--",
      "Robert'); DROP TABLE history; --",
      "' OR '1'='1",
      "100% sure_thing %_ \\% \\_ %%",
      "%",
      "_",
      "*",
      "\"double\" 'single' `back` ''",
      "back\\slash \\n \\t \\\\ \\0 end\\",
      "?1 ?2 :name @param $var",
      "/* comment */ -- dash ; semicolon",
      "NULL",
      "END",
      "HIST lobby 0 mallory forged",
      "日本語 café ñ Ω \xF0\x9F\x99\x82 \xE2\x80\x8B zero-width",
      "tab\tinside  and  doubles",
  };
  Lines expected;
  for (const auto& channel : channels) {
    CAPTURE(channel.name);
    for (const auto& text : texts) {
      alice.send(channel.send + text + "\n");
      bob.expect_line(channel.arrives + text);
    }
    Lines expected_entries;
    for (const auto& text : texts) expected_entries.push_back("alice " + text);
    CHECK(history(alice, "HISTORY " + channel.target + " 500", channel.target, since) ==
          expected_entries);
    CHECK(history(bob,
                  "HISTORY " + std::string(channel.target == "@bob" ? "@alice" : channel.target) +
                      " 500",
                  channel.target == "@bob" ? "@alice" : channel.target, since) == expected_entries);
  }
}

TEST_CASE_TEMPLATE("histories are kept apart: no prefix or wildcard matching of names", Kind,
                   HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto alice = logged_in(s.port, "alice");
  // Rooms and users whose names a LIKE pattern or a prefix search would confuse:
  // '_' matches any one character, "gen" is a prefix of "general".
  for (const char* room : {"a_b", "axb", "gen", "general", "a_"}) {
    alice.send("JOIN " + std::string(room) + "\nSAY " + room + " in " + room + "\n");
    alice.expect_line("OK");
  }
  std::vector<LineClient> peers;
  for (const char* name : {"x_y", "xzy", "x", "x_"}) {
    peers.push_back(logged_in(s.port, name));
    alice.send("DM " + std::string(name) + " to " + name + "\n");
    peers.back().expect_line("DM alice to " + std::string(name));
  }
  for (const char* room : {"a_b", "axb", "gen", "general", "a_"}) {
    CAPTURE(room);
    CHECK(history(alice, "HISTORY " + std::string(room), room, since) ==
          Lines{"alice in " + std::string(room)});
  }
  for (const char* name : {"x_y", "xzy", "x", "x_"}) {
    CAPTURE(name);
    const std::string target = "@" + std::string(name);
    CHECK(history(alice, "HISTORY " + target, target, since) ==
          Lines{"alice to " + std::string(name)});
  }
  CHECK(history(alice, "HISTORY *", "*", since).empty());
}

namespace {

// Alice and Bob each send `each` messages (MSG a0..., MSG b0...), both floods at once.
void flood_from_both(LineClient& alice, LineClient& bob, int each) {
  std::string from_alice, from_bob;
  for (int i = 0; i < each; ++i) {
    from_alice += "MSG a" + std::to_string(i) + "\n";
    from_bob += "MSG b" + std::to_string(i) + "\n";
  }
  alice.send(from_alice);
  bob.send(from_bob);
}

// What `client` receives of both floods: every line a MSG of one of them, each sender's
// in order (the two may interleave). Returns them as "alice a7", "bob b3"...
std::vector<std::string> read_both_floods(LineClient& client, int each) {
  std::vector<std::string> received;
  int next_a = 0, next_b = 0;
  for (int n = 0; n < 2 * each; ++n) {
    auto line = client.read_line();
    REQUIRE_MESSAGE(line.has_value(), "received only " << n << " of " << 2 * each);
    if (next_a < each && *line == "MSG alice a" + std::to_string(next_a)) {
      ++next_a;
    } else if (next_b < each && *line == "MSG bob b" + std::to_string(next_b)) {
      ++next_b;
    } else {
      FAIL_CHECK("out of order or unexpected: \"" << escaped(*line) << "\"");
    }
    received.push_back(line->substr(4));  // "alice a7"
  }
  return received;
}

}  // namespace

// The server has 256 locks for its connections' output queues (OutputLocks), one
// picked by each connection's id: with 300 connections, some share one. Two senders'
// messages reach them at once from both I/O threads (and from the history writer's
// thread, over SQLite), and each still receives every message, each sender's in order.
TEST_CASE_TEMPLATE("connections that share an output queue lock each receive every message", Kind,
                   LOCAL_HISTORY_STORES) {
  HistoryServer<Kind> s;
  constexpr int readers = 300;
  std::vector<LineClient> clients;
  clients.reserve(readers);
  for (int i = 0; i < readers; ++i) clients.push_back(logged_in(s.port, "u" + std::to_string(i)));
  auto alice = logged_in(s.port, "alice");
  auto bob = logged_in(s.port, "bob");
  constexpr int each = 30;
  flood_from_both(alice, bob, each);
  for (int c = 0; c < readers; ++c) {
    CAPTURE(c);
    read_both_floods(clients[c], each);
  }
}

TEST_CASE_TEMPLATE("every message a client received is in HISTORY", Kind, HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto alice = logged_in(s.port, "alice");
  auto bob = logged_in(s.port, "bob");
  auto carol = logged_in(s.port, "carol");
  constexpr int each = 100;
  flood_from_both(alice, bob, each);  // both floods at once, from two connections
  // carol counts what she receives: each sender's in order, every one once.
  const auto carol_received = read_both_floods(carol, each);
  const std::set<std::string> received(carol_received.begin(), carol_received.end());
  CHECK(received.size() == 2 * each);
  for (int i = 0; i < each; ++i) {
    bob.expect_line("MSG alice a" + std::to_string(i));
    alice.expect_line("MSG bob b" + std::to_string(i));
  }

  const Lines entries = history(carol, "HISTORY * 500", "*", since);
  CHECK(entries.size() == 2 * each);
  const std::set<std::string> stored(entries.begin(), entries.end());
  for (const auto& message : received) {
    CAPTURE(message);
    CHECK(stored.contains(message));
  }
  // Oldest first: each sender's messages in the order sent.
  Lines alices, bobs;
  for (const auto& entry : entries) (entry.starts_with("alice ") ? alices : bobs).push_back(entry);
  Lines expected_alices, expected_bobs;
  for (int i = 0; i < each; ++i) {
    expected_alices.push_back("alice a" + std::to_string(i));
    expected_bobs.push_back("bob b" + std::to_string(i));
  }
  CHECK(alices == expected_alices);
  CHECK(bobs == expected_bobs);
}

namespace {

// Six senders at once, 80 MSGs each (480: all of them fit in one HISTORY * 500), and
// what `reader` received of them, each as "<from> <text>", in the order it came. The
// senders stay online: their departures would be more lines for the reader.
constexpr int burst_senders = 6, burst_each = 80;
struct Bursts {
  std::vector<LineClient> senders;
  Lines received;
};
Bursts bursts(std::uint16_t port, LineClient& reader) {
  Bursts sent;
  for (int k = 0; k < burst_senders; ++k) {
    sent.senders.push_back(logged_in(port, "s" + std::to_string(k)));
  }
  for (auto& client : sent.senders) {
    std::string burst;
    for (int i = 0; i < burst_each; ++i) burst += "MSG m" + std::to_string(i) + "\n";
    client.send(burst);
  }
  for (int n = 0; n < burst_senders * burst_each; ++n) {
    auto line = reader.read_line();
    REQUIRE_MESSAGE(line.has_value(),
                    "reader received only " << n << " of " << burst_senders * burst_each);
    REQUIRE(line->starts_with("MSG "));
    sent.received.push_back(line->substr(4));
  }
  return sent;
}

}  // namespace

TEST_CASE_TEMPLATE("oldest first holds for messages from many senders at once", Kind,
                   HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto reader = logged_in(s.port, "reader");
  const auto sent = bursts(s.port, reader);  // its senders online until the end
  // history() checks that the unix-ms never decreases down the answer.
  CHECK(history(reader, "HISTORY * 500", "*", since).size() == burst_senders * burst_each);
}

#if SOCKETCHAT_HAS_SQLITE
// SQLite's answers come on the first io_context in slices (StoredAnswers): here the
// host's, which two threads run; bursts make batches of several slices.
TEST_CASE("on a host's io_context run by two threads, stored bursts arrive in the order kept") {
  Sqlite sqlite;
  asio::io_context io;
  Server server(history_options(sqlite.open()), io);
  server.start();
  std::thread one([&] { io.run(); });
  std::thread two([&] { io.run(); });
  const auto since = now_unix_ms();
  {
    auto reader = logged_in(server.port(), "reader");
    const auto sent = bursts(server.port(), reader);
    CHECK(history(reader, "HISTORY * 500", "*", since) == sent.received);  // ids' order, once each
  }
  server.stop();
  server.wait();
  one.join();  // io.run() returns: nothing of the server's is left on the host's loop
  two.join();
}
#endif

TEST_CASE_TEMPLATE("retention: old messages are pruned, young ones kept", Kind, HISTORY_STORES) {
  SUBCASE("retention 1 ms: eventually nothing is left") {
    std::shared_ptr<CountingStore> counting;
    HistoryServer<Kind> s([&](ServerOptions& options) {
      counting = std::make_shared<CountingStore>(options.history_store);
      options.history_store = counting;
      options.history_retention = milliseconds{1};
      options.history_prune_interval = milliseconds{50};
    });
    auto lobby = pair_in_lobby(s.port);
    auto& alice = lobby.alice;
    auto& bob = lobby.bob;
    alice.send("MSG old public\nSAY lobby old room\nDM bob old dm\n");
    bob.expect_line("MSG alice old public");
    bob.expect_line("SAY lobby alice old room");
    bob.expect_line("DM alice old dm");
    CHECK(counting->appended() == 3);  // stored before delivered: all three are in the store

    const bool emptied = eventually([&] {
      return listing(alice, "HISTORY *").empty() && listing(alice, "HISTORY lobby").empty() &&
             listing(alice, "HISTORY @bob").empty();
    });
    CHECK(emptied);
    CHECK(eventually(
        [&] { return counting->pruned() >= 3; }));  // counted just after the store's prune
    CHECK(counting->pruned() == 3);
    // The room and the users are untouched; new messages are stored as before.
    bob.send("SAY lobby new\n");
    alice.expect_line("SAY lobby bob new");
    CHECK(counting->appended() == 4);
  }
  SUBCASE("retention 1 hour: several prunes later, everything is there") {
    std::shared_ptr<CountingStore> counting;
    HistoryServer<Kind> s([&](ServerOptions& options) {
      counting = std::make_shared<CountingStore>(options.history_store);
      options.history_store = counting;
      options.history_retention = std::chrono::hours{1};
      options.history_prune_interval = milliseconds{50};
    });
    const auto since = now_unix_ms();
    auto lobby = pair_in_lobby(s.port);
    auto& alice = lobby.alice;
    auto& bob = lobby.bob;
    alice.send("MSG kept public\nSAY lobby kept room\nDM bob kept dm\n");
    bob.expect_line("MSG alice kept public");
    bob.expect_line("SAY lobby alice kept room");
    bob.expect_line("DM alice kept dm");
    const auto prunes_before = counting->prunes();
    CHECK(eventually([&] { return counting->prunes() >= prunes_before + 2; }));
    CHECK(counting->pruned() == 0);
    CHECK(history(alice, "HISTORY *", "*", since) == Lines{"alice kept public"});
    CHECK(history(alice, "HISTORY lobby", "lobby", since) == Lines{"alice kept room"});
    CHECK(history(alice, "HISTORY @bob", "@bob", since) == Lines{"alice kept dm"});
  }
}

TEST_CASE("history = false: nothing is kept and HISTORY answers END; membership still counts") {
  auto options = history_options(nullptr);  // (a store given with history off is a config_error)
  options.history = false;
  Server server(options);
  server.start();
  auto lobby = pair_in_lobby(server.port());
  auto& alice = lobby.alice;
  auto& bob = lobby.bob;
  auto carol = logged_in(server.port(), "carol");
  alice.send("SAY lobby in the room\nMSG in public\nDM bob in private\n");
  bob.expect_line("SAY lobby alice in the room");
  bob.expect_line("MSG alice in public");
  carol.expect_line("MSG alice in public");
  bob.expect_line("DM alice in private");

  for (const char* line : {"HISTORY lobby\n", "HISTORY lobby 5\n", "HISTORY *\n", "HISTORY * 500\n",
                           "HISTORY @bob\n", "HISTORY @nobody\n"}) {
    CAPTURE(line);
    alice.send(line);
    alice.expect_line("END");
  }
  bob.send("HISTORY @alice\n");
  bob.expect_line("END");
  for (const char* line : {"HISTORY lobby\n", "HISTORY nowhere\n"}) {
    CAPTURE(line);
    carol.send(line);
    carol.expect_line("ERR not-in-room");
  }
  alice.expect_quiet();
  bob.expect_quiet();
  server.stop();
}

namespace {

// An in-memory store that makes the server wait: append() holds each batch until the
// test lets it through. It says it blocks, so the server calls it from a writer thread
// of its own and no I/O thread waits.
class GatedStore : public HistoryStore {
 public:
  void append(std::span<HistoryRecord> records) override {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    // Bounded, so a failing test cannot hang the server's stop.
    changed_.wait_for(lock, std::chrono::seconds{10}, [&] { return permits_ > 0; });
    if (permits_ > 0) --permits_;
    --waiting_;
    lock.unlock();
    inner_.append(records);
  }
  HistoryPage read(const std::string& scope, const HistoryRange& range) override {
    return inner_.read(scope, range);
  }
  std::string epoch() override { return inner_.epoch(); }
  std::size_t prune(std::chrono::system_clock::time_point cutoff) override {
    return inner_.prune(cutoff);
  }
  bool blocking() const noexcept override { return true; }

  // True once an append() is held at the gate (bounded wait).
  bool held() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, default_wait, [&] { return waiting_ > 0; });
  }
  void let_through(int batches) {
    std::lock_guard lock(mutex_);
    permits_ += batches;
    changed_.notify_all();
  }

 private:
  MemoryHistoryStore inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int waiting_ = 0;
  int permits_ = 0;
};

}  // namespace

TEST_CASE("a message is stored before it is delivered to anyone") {
  auto store = std::make_shared<GatedStore>();
  Server server(history_options(store));
  server.start();
  struct Opener {  // whatever happens, nothing stays held when the server stops
    GatedStore& gate;
    ~Opener() { gate.let_through(1000); }
  } opener{*store};
  auto lobby = pair_in_lobby(server.port());
  auto& alice = lobby.alice;
  auto& bob = lobby.bob;
  struct Case {
    const char* sent;
    const char* received;
    std::string scope;
  };
  const Case cases[] = {{"MSG one", "MSG alice one", "*"},
                        {"SAY lobby two", "SAY lobby alice two", "#lobby"},
                        {"DM bob three", "DM alice three", dm_scope("alice", "bob")}};
  for (const auto& c : cases) {
    CAPTURE(c.sent);
    alice.send(std::string(c.sent) + "\n");
    REQUIRE(store->held());
    bob.expect_quiet();  // held at the store: not delivered
    CHECK(store->latest(c.scope, 10).empty());
    store->let_through(1);
    bob.expect_line(c.received);
    REQUIRE(store->latest(c.scope, 10).size() == 1);
  }
  server.stop();
}

namespace {

// A GatedStore with a journal (HistoryStore::journal): it keeps what it is given there
// at once, or refuses while told to, and then indexes it at the gate.
class JournalingStore final : public GatedStore {
 public:
  bool journal(std::span<HistoryRecord> records) override {
    std::lock_guard lock(mutex_);
    if (!accepting_) return false;
    for (auto& record : records) {
      record.id = ++journaled_;
      kept_.push_back(record.text);
    }
    return true;
  }

  void accept(bool accepting) {
    std::lock_guard lock(mutex_);
    accepting_ = accepting;
  }
  std::vector<std::string> kept() {
    std::lock_guard lock(mutex_);
    return kept_;
  }
  GatedStore& gate() { return *this; }

 private:
  std::mutex mutex_;
  bool accepting_ = true;
  std::uint64_t journaled_ = 0;
  std::vector<std::string> kept_;  // the texts journaled, in order
};

// Whatever happens, nothing stays held at the gate when the server stops.
struct GateOpener {
  GatedStore& gate;
  ~GateOpener() { gate.let_through(1000); }
};

// A started server on a JournalingStore, and alice and bob in its lobby.
struct JournalingServer {
  std::shared_ptr<JournalingStore> store = std::make_shared<JournalingStore>();
  Server server{history_options(store)};
  GateOpener opener{store->gate()};
  Pair lobby = [this] {
    server.start();
    return pair_in_lobby(server.port());
  }();
};

}  // namespace

TEST_CASE("with a journal, a message is delivered once journaled; a HISTORY waits for its index") {
  JournalingServer s;
  auto& store = s.store;
  auto& alice = s.lobby.alice;
  auto& bob = s.lobby.bob;
  alice.send("MSG one\nSAY lobby two\n");
  bob.expect_line("MSG alice one");
  bob.expect_line("SAY lobby alice two");
  CHECK(store->kept() == Lines{"one", "two"});  // journaled before anyone got them
  REQUIRE(store->gate().held());                // while the index waits
  CHECK(store->latest("*", 10).empty());
  // A HISTORY asked now is answered after the index (the store has nothing before): it
  // has what was delivered. (No PING can show the wait: its PONG would queue behind.)
  bob.send("HISTORY * 10\n");
  CHECK_FALSE(bob.read_line(std::chrono::milliseconds{300}).has_value());
  store->gate().let_through(1000);
  auto line = bob.read_line();
  REQUIRE(line.has_value());
  CHECK(line->ends_with(" alice one"));
  bob.expect_line("END");
  s.server.stop();
}

TEST_CASE("when the journal refuses, a message waits for its commit, and none overtakes it") {
  JournalingServer s;
  auto& store = s.store;
  auto& alice = s.lobby.alice;
  auto& bob = s.lobby.bob;
  store->accept(false);
  alice.send("MSG one\n");
  REQUIRE(store->gate().held());
  bob.expect_quiet();  // not journaled, not committed: not delivered
  // The journal takes messages again; the next one still waits behind the first.
  store->accept(true);
  alice.send("MSG two\n");
  bob.expect_quiet();
  store->gate().let_through(1000);
  bob.expect_line("MSG alice one");
  bob.expect_line("MSG alice two");
  // "one" went the commit's way; "two" too, or to the journal once "one" was answered.
  auto kept = store->kept();
  CHECK(std::find(kept.begin(), kept.end(), "one") == kept.end());
  // Once they are answered, the journal is used again.
  alice.send("MSG three\n");
  bob.expect_line("MSG alice three");
  kept = store->kept();
  REQUIRE_FALSE(kept.empty());
  CHECK(kept.back() == "three");
  s.server.stop();
}

namespace {

// A store that keeps what it is given but cannot read it back: read() throws.
// `blocking` chooses the server's path to it: inline, or through the writer thread.
class UnreadableStore final : public HistoryStore {
 public:
  explicit UnreadableStore(bool blocking) : blocking_(blocking) {}
  void append(std::span<HistoryRecord> records) override { inner_.append(records); }
  HistoryPage read(const std::string&, const HistoryRange&) override {
    throw std::runtime_error("the disk is gone");
  }
  std::string epoch() override { return inner_.epoch(); }
  std::size_t prune(std::chrono::system_clock::time_point cutoff) override {
    return inner_.prune(cutoff);
  }
  bool blocking() const noexcept override { return blocking_; }

 private:
  bool blocking_;
  MemoryHistoryStore inner_;
};

}  // namespace

TEST_CASE("a HISTORY the store cannot read is ERR storage-failed, not an empty history") {
  bool blocking = false;
  SUBCASE("a store called inline") {
    blocking = false;
  }
  SUBCASE("a store behind the writer thread") {
    blocking = true;
  }
  CAPTURE(blocking);
  Server server(history_options(std::make_shared<UnreadableStore>(blocking)));
  server.start();
  auto lobby = pair_in_lobby(server.port());
  auto& alice = lobby.alice;
  auto& bob = lobby.bob;
  alice.send("SAY lobby kept\nMSG kept\nDM bob kept\n");
  bob.expect_line("SAY lobby alice kept");
  bob.expect_line("MSG alice kept");
  bob.expect_line("DM alice kept");
  for (const char* request : {"HISTORY lobby\n", "HISTORY * 5\n", "HISTORY @bob\n"}) {
    CAPTURE(request);
    alice.send(request);
    alice.expect_line("ERR storage-failed");
  }
  // Nothing else came, and the connection goes on as before.
  alice.send("PING after\nDM bob still here\n");
  alice.expect_line("PONG after");
  bob.expect_line("DM alice still here");
  alice.expect_quiet();
  bob.expect_quiet();
  server.stop();
}

TEST_CASE_TEMPLATE("bidi format characters are removed before a text is delivered and stored", Kind,
                   HISTORY_STORES) {
  HistoryServer<Kind> s;
  const auto since = now_unix_ms();
  auto lobby = pair_in_lobby(s.port);
  auto& alice = lobby.alice;
  auto& bob = lobby.bob;
  // U+202E (RLO) would show "invoice_exe.pdf" as "invoice_fdp.exe"; U+2066/U+2069 and
  // U+200F would reorder, U+2028 would break the line in a client.
  const std::string sent =
      "invoice_\xE2\x80\xAE"
      "fdp.exe \xE2\x81\xA6x\xE2\x81\xA9 \xE2\x80\x8Fy\xE2\x80\xA8z";
  const std::string kept = "invoice_fdp.exe x yz";
  for (const auto& channel : channels) {
    CAPTURE(channel.name);
    alice.send(channel.send + sent + "\n");
    bob.expect_line(channel.arrives + kept);
    CHECK(history(alice, "HISTORY " + channel.target + " 1", channel.target, since) ==
          Lines{"alice " + kept});
  }
  // Only format characters: nothing is left to send.
  alice.send("MSG \xE2\x80\xAE\xE2\x80\xAC\n");
  alice.expect_line("ERR empty-message");
  // A name cannot hold one: names are ASCII.
  LineClient spoof(s.port);
  spoof.send("LOGIN bob\xE2\x80\xAE\n");
  spoof.expect_line("ERR invalid-username");
  bob.expect_quiet();
}

TEST_CASE("MemoryHistoryStore is bounded in bytes: the least recently written history goes first") {
  auto record = [](const std::string& scope, int i) {
    return HistoryRecord{
        .scope = scope, .unix_ms = i, .from = "alice", .text = "m" + std::to_string(i) + "-----"};
  };
  auto texts = [](const std::vector<HistoryRecord>& records) {
    Lines out;
    for (const auto& r : records) out.push_back(r.text.substr(0, r.text.find('-')));
    return out;
  };
  auto put = [](MemoryHistoryStore& store, HistoryRecord r) { store.append({&r, 1}); };
  const std::size_t each = MemoryHistoryStore::record_bytes(record("#old", 100));  // all alike
  CHECK(each == sizeof(HistoryRecord) + 4 + 5 + 9);

  MemoryHistoryStore store(500, 10000, 10 * each);
  for (int i = 100; i < 104; ++i) put(store, record("#old", i));
  for (int i = 200; i < 206; ++i) put(store, record("#new", i));
  CHECK(store.bytes() == 10 * each);  // full, nothing lost yet
  CHECK(texts(store.latest("#old", 500)) == Lines{"m100", "m101", "m102", "m103"});

  // Over the budget: #old, written to least recently, gives up its oldest first...
  put(store, record("#new", 206));
  CHECK(store.bytes() == 10 * each);
  CHECK(texts(store.latest("#old", 500)) == Lines{"m101", "m102", "m103"});
  CHECK(store.latest("#new", 500).size() == 7);
  // ...and goes when it has none left; then #new's own oldest go.
  for (int i = 207; i < 212; ++i) put(store, record("#new", i));
  CHECK(store.bytes() == 10 * each);
  CHECK(store.latest("#old", 500).empty());
  CHECK(texts(store.latest("#new", 500)) ==
        Lines{"m202", "m203", "m204", "m205", "m206", "m207", "m208", "m209", "m210", "m211"});
  // Pruning gives the bytes back.
  CHECK(store.prune(std::chrono::system_clock::time_point{std::chrono::milliseconds{1000}}) == 10);
  CHECK(store.bytes() == 0);

  // The worst case that was ~21 GiB: full histories of the longest texts in many
  // scopes. Here 2000 histories of 10 texts of 4 KiB against a 1 MiB budget.
  MemoryHistoryStore bounded(500, 10000, 1 << 20);
  const std::string long_text(4096, 'x');
  for (int scope = 0; scope < 2000; ++scope) {
    std::vector<HistoryRecord> batch(10, HistoryRecord{.scope = "#r" + std::to_string(scope),
                                                       .unix_ms = scope,
                                                       .from = "alice",
                                                       .text = long_text});
    bounded.append(batch);
    REQUIRE(bounded.bytes() <= std::size_t{1} << 20);
  }
  CHECK(bounded.latest("#r1999", 500).size() == 10);  // the newest are kept
  CHECK(bounded.latest("#r0", 500).empty());          // the oldest are not

  CHECK_THROWS_AS(MemoryHistoryStore(500, 10000, 0), config_error);
}

TEST_CASE("history_memory_bytes bounds the server's own in-memory history") {
  auto options = history_options(nullptr);
  options.history_memory_bytes = 64 << 10;  // the least allowed
  {
    auto too_small = options;
    too_small.history_memory_bytes = (64 << 10) - 1;
    CHECK_THROWS_AS(too_small.validate(), config_error);
    CHECK(ServerOptions{}.history_memory_bytes == std::size_t{64} << 20);
  }
  Server server(options);
  server.start();
  const auto since = now_unix_ms();
  auto alice = logged_in(server.port(), "alice");
  auto bob = logged_in(server.port(), "bob");
  // 40 texts of 4000 bytes: only as many as 64 KiB holds are kept, the latest.
  auto text = [](int i) { return "m" + std::to_string(100 + i) + std::string(3996, '.'); };
  std::string burst;
  for (int i = 0; i < 40; ++i) burst += "MSG " + text(i) + "\n";
  alice.send(burst);
  for (int i = 0; i < 40; ++i) bob.expect_line("MSG alice " + text(i));
  const std::size_t each = MemoryHistoryStore::record_bytes(
      {.scope = "*", .unix_ms = 0, .from = "alice", .text = text(0)});
  const int kept = static_cast<int>((std::size_t{64} << 10) / each);
  REQUIRE(kept < 40);
  Lines expected;
  for (int i = 40 - kept; i < 40; ++i) expected.push_back("alice " + text(i));
  CHECK(history(bob, "HISTORY * 500", "*", since) == expected);
  server.stop();
}

TEST_CASE("MemoryHistoryStore: the DMs of a user") {
  MemoryHistoryStore store;
  socketchat::test::check_direct_scopes(store);
}

TEST_CASE("MemoryHistoryStore: message ids, and a new store is a new history") {
  MemoryHistoryStore store;
  socketchat::test::check_message_ids(store);
  MemoryHistoryStore other;
  CHECK(other.epoch() != store.epoch());
}
