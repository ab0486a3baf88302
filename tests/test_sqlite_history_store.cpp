// SqliteHistoryStore: order and limits, atomic batches, persistence, exact round-trips,
// pruning, and a clear config_error for every database it cannot use. A raw sqlite3
// connection plays "another process" (locks, schema tampering).
#include <doctest/doctest.h>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "socketchat/error.hpp"
#include "socketchat/sqlite_history_store.hpp"
#include "support/history_store_contract.hpp"
#include "support/temp_dir.hpp"

// Appends a batch given as a list (append() takes the records to give them their ids).
template <class Store>
void append_all(Store&& store, std::vector<socketchat::HistoryRecord> records) {
  store.append(records);
}

using namespace socketchat;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

// A fresh directory for the database db() of a test.
struct DatabaseDir : test::TempDir {
  DatabaseDir() : TempDir("socketchat-sqlite") {}
  fs::path db() const { return path / "history.db"; }
};

HistoryRecord record(std::string scope, std::int64_t unix_ms, std::string from, std::string text) {
  return {std::move(scope), unix_ms, std::move(from), std::move(text)};
}

std::vector<std::string> texts(const std::vector<HistoryRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.text);
  return out;
}

// A second connection that bypasses the store: another process, or a tamperer.
class RawConnection {
 public:
  explicit RawConnection(const fs::path& path) {
    REQUIRE(sqlite3_open(path.c_str(), &db_) == SQLITE_OK);
  }
  ~RawConnection() { sqlite3_close(db_); }
  void exec(const char* sql) { REQUIRE_MESSAGE(try_exec(sql), sqlite3_errmsg(db_)); }
  bool try_exec(const char* sql) {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  std::string text(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) == SQLITE_OK);
    std::string out;
    if (sqlite3_step(statement) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    }
    sqlite3_finalize(statement);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// The message of the config_error that opening `path` throws ("" if it opens).
std::string open_error(const fs::path& path, SqliteHistoryOptions options = {}) {
  try {
    SqliteHistoryStore store(path, options);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("latest returns the newest records of a scope, oldest first") {
  DatabaseDir dir;
  SqliteHistoryStore store(dir.db());
  CHECK(store.blocking());
  CHECK(store.latest("*", 10).empty());

  append_all(store, {record("*", 1000, "ann", "one"), record("*", 1001, "bob", "two"),
                     record("*", 1002, "ann", "three")});
  append_all(store, {record("*", 1003, "cy", "four"), record("*", 1004, "ann", "five")});

  CHECK(texts(store.latest("*", 3)) == std::vector<std::string>{"three", "four", "five"});
  CHECK(texts(store.latest("*", 50)) ==
        std::vector<std::string>{"one", "two", "three", "four", "five"});
  CHECK(texts(store.latest("*", 1)) == std::vector<std::string>{"five"});
  CHECK(store.latest("*", 0).empty());
  CHECK(store.latest("*", SIZE_MAX).size() == 5);

  auto newest = store.latest("*", 1).at(0);
  CHECK(newest.scope == "*");
  CHECK(newest.unix_ms == 1004);
  CHECK(newest.from == "ann");

  store.append({});  // an empty batch is a no-op
  CHECK(store.latest("*", 50).size() == 5);
}

TEST_CASE("scopes are kept apart") {
  DatabaseDir dir;
  SqliteHistoryStore store(dir.db());
  append_all(store, {record("*", 1, "ann", "public"), record("#lobby", 2, "ann", "lobby"),
                     record("@ann|bob", 3, "bob", "dm"), record("#lobby", 4, "cy", "lobby 2"),
                     record("#Lobby", 5, "cy", "other case")});
  CHECK(texts(store.latest("*", 10)) == std::vector<std::string>{"public"});
  CHECK(texts(store.latest("#lobby", 10)) == std::vector<std::string>{"lobby", "lobby 2"});
  CHECK(texts(store.latest("@ann|bob", 10)) == std::vector<std::string>{"dm"});
  CHECK(store.latest("@bob|ann", 10).empty());
  CHECK(store.latest("#lob%", 10).empty());  // no LIKE, no wildcards
  CHECK(store.latest("", 10).empty());
}

TEST_CASE("records persist across reopening, and ids keep their order") {
  DatabaseDir dir;
  {
    SqliteHistoryStore store(dir.db());
    append_all(store, {record("#a", 10, "ann", "before")});
  }
  {
    SqliteHistoryStore store(dir.db(), {.sync_full = true});
    append_all(store, {record("#a", 5, "bob", "after, with an older clock")});
  }
  SqliteHistoryStore store(dir.db());
  CHECK(texts(store.latest("#a", 10)) ==
        std::vector<std::string>{"before", "after, with an older clock"});
  CHECK(RawConnection(dir.db()).text("PRAGMA journal_mode") == "wal");
  CHECK(RawConnection(dir.db()).text("PRAGMA user_version") == "4");
}

TEST_CASE("a version 1 database is migrated to version 4 at open, its messages kept") {
  DatabaseDir dir;
  {
    RawConnection v1(dir.db());
    v1.exec(
        "CREATE TABLE messages(id INTEGER PRIMARY KEY, scope TEXT NOT NULL,"
        " unix_ms INTEGER NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL);"
        "CREATE INDEX messages_by_scope ON messages(scope, id);"
        "INSERT INTO messages(scope, unix_ms, sender, text) VALUES ('*', 1, 'ann', 'old');"
        "PRAGMA user_version = 1;");
  }
  SqliteHistoryStore store(dir.db());
  CHECK(texts(store.latest("*", 10)) == std::vector<std::string>{"old"});
  CHECK(RawConnection(dir.db()).text("PRAGMA user_version") == "4");
  // Version 2's index by time came and went: appends no longer pay for it.
  CHECK(RawConnection(dir.db()).text(
            "SELECT count(*) FROM sqlite_master WHERE name = 'messages_by_time'") == "0");
}

TEST_CASE("a version 2 database loses its index by time, keeps its messages, and prunes by age") {
  DatabaseDir dir;
  {
    RawConnection v2(dir.db());
    v2.exec(
        "CREATE TABLE messages(id INTEGER PRIMARY KEY, scope TEXT NOT NULL,"
        " unix_ms INTEGER NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL);"
        "CREATE INDEX messages_by_scope ON messages(scope, id);"
        "CREATE INDEX messages_by_time ON messages(unix_ms);"
        "INSERT INTO messages(scope, unix_ms, sender, text) VALUES ('*', 1000, 'ann', 'old');"
        "INSERT INTO messages(scope, unix_ms, sender, text) VALUES ('*', 2000, 'ann', 'new');"
        "PRAGMA user_version = 2;");
  }
  SqliteHistoryStore store(dir.db());
  CHECK(RawConnection(dir.db()).text("PRAGMA user_version") == "4");
  CHECK(RawConnection(dir.db()).text(
            "SELECT count(*) FROM sqlite_master WHERE name = 'messages_by_time'") == "0");
  CHECK(texts(store.latest("*", 10)) == std::vector<std::string>{"old", "new"});
  CHECK(store.prune(std::chrono::system_clock::time_point(1500ms)) == 1);
  CHECK(texts(store.latest("*", 10)) == std::vector<std::string>{"new"});
}

TEST_CASE("an empty file is an empty database") {
  DatabaseDir dir;
  std::ofstream(dir.db()).close();
  SqliteHistoryStore store(dir.db());
  append_all(store, {record("*", 1, "ann", "hi")});
  CHECK(store.latest("*", 1).size() == 1);
}

TEST_CASE("SQL metacharacters and odd bytes round-trip exactly") {
  DatabaseDir dir;
  std::vector<HistoryRecord> odd = {
      record("#x'); DROP TABLE messages; --", -1, "O'Brien\"; --", "'; DELETE FROM messages; --"),
      record("#pct", 0, "%s%n%%_", "100% _sure_ LIKE '%' ESCAPE '\\'"),
      record("#utf8", INT64_MAX, "Zoë Ñandú 李",
             "emoji 👩‍👩‍👧 cafe\u0301 \u202Eright-to-left\u202C ZWJ\u200D"),
      record("#bytes", INT64_MIN, "\xff\xfe",
             "invalid \xc0\xaf \xed\xa0\x80 \x80 lone bytes\xf4\x90"),
      record("#nul", 7, "n\0l"s, "embedded \0 NUL and \x01\x7f control"s),
      record("#empty", 8, "", ""),
      record("#long", 9, "ann", std::string(100000, 'x') + "end"),
  };
  {
    SqliteHistoryStore store(dir.db());
    store.append(odd);
  }
  SqliteHistoryStore store(dir.db());  // read back from disk, not from any cache
  for (const auto& expected : odd) {
    auto got = store.latest(expected.scope, 10);
    REQUIRE(got.size() == 1);
    CHECK(got[0].scope == expected.scope);
    CHECK(got[0].unix_ms == expected.unix_ms);
    CHECK(got[0].from == expected.from);
    CHECK(got[0].text == expected.text);
  }
}

TEST_CASE("a batch is one transaction: a record refused mid-batch stores none of it") {
  DatabaseDir dir;
  SqliteHistoryStore store(dir.db());
  append_all(store, {record("*", 1, "ann", "kept")});

  // A trigger refuses one record in the middle of a 1000-record batch.
  RawConnection other(dir.db());
  other.exec(
      "CREATE TRIGGER poison BEFORE INSERT ON messages WHEN NEW.text = 'poison'"
      " BEGIN SELECT RAISE(ABORT, 'poisoned record'); END");
  std::vector<HistoryRecord> batch;
  for (int i = 0; i < 1000; ++i) batch.push_back(record("*", 100 + i, "bob", std::to_string(i)));
  batch[600].text = "poison";
  CHECK_THROWS_WITH_AS(store.append(batch), doctest::Contains("poisoned record"),
                       std::runtime_error);
  CHECK(texts(store.latest("*", 2000)) == std::vector<std::string>{"kept"});

  // The store is usable afterwards, and the same batch goes in whole.
  other.exec("DROP TRIGGER poison");
  batch[600].text = "600";
  store.append(batch);
  auto all = store.latest("*", 2000);
  REQUIRE(all.size() == 1001);
  CHECK(all[1].text == "0");
  CHECK(all[1000].text == "999");
}

TEST_CASE("append fails cleanly while another connection holds the write lock") {
  DatabaseDir dir;
  SqliteHistoryStore store(dir.db(), {.busy_timeout = 50ms});
  RawConnection other(dir.db());
  other.exec("BEGIN EXCLUSIVE");

  std::vector<HistoryRecord> batch(1000, record("*", 1, "ann", "lost"));
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(store.append(batch), doctest::Contains("locked by another process"),
                       std::runtime_error);
  CHECK(std::chrono::steady_clock::now() - start >= 40ms);  // it waited busy_timeout
  CHECK(store.latest("*", 10).empty());  // WAL: reading works during the other's write

  other.exec("ROLLBACK");
  append_all(store, {record("*", 2, "ann", "stored")});
  CHECK(texts(store.latest("*", 10)) == std::vector<std::string>{"stored"});
}

TEST_CASE("prune removes records older than the cutoff and counts them") {
  DatabaseDir dir;
  SqliteHistoryStore store(dir.db());
  append_all(store, {record("*", 1000, "ann", "a"), record("#r", 2000, "ann", "b"),
                     record("@a|b", 2999, "ann", "c"), record("*", 3000, "ann", "d")});
  auto at = [](auto ms) { return std::chrono::system_clock::time_point(ms); };

  CHECK(store.prune(at(1000ms)) == 0);  // strictly older only
  CHECK(store.prune(at(2999ms)) == 2);  // across scopes
  CHECK(store.prune(at(2999ms)) == 0);
  CHECK(store.prune(at(2999ms + 1us)) == 1);  // 2999 ms is older than 2999.001 ms
  CHECK(texts(store.latest("*", 10)) == std::vector<std::string>{"d"});
  CHECK(store.latest("#r", 10).empty());
  CHECK(store.prune(at(10'000ms)) == 1);
}

TEST_CASE("latest and prune run alongside append from other threads") {
  DatabaseDir dir;
  SqliteHistoryStore store(dir.db());
  std::atomic<bool> done = false;
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      append_all(store, {record("*", i, "ann", std::to_string(i)),
                         record("#r", i, "ann", std::to_string(i))});
    }
    done = true;
  });
  std::thread pruner([&] {
    while (!done) store.prune(std::chrono::system_clock::time_point(50ms));
  });
  bool ordered = true;
  while (!done) {
    auto got = store.latest("*", 10);
    for (std::size_t i = 1; i < got.size(); ++i) ordered &= got[i - 1].unix_ms < got[i].unix_ms;
  }
  writer.join();
  pruner.join();
  CHECK(ordered);
  CHECK(store.latest("*", 500).back().text == "199");
  CHECK(store.latest("#r", 500).size() >= 150);
}

TEST_CASE("open refuses a database it cannot use, with config_error naming the file") {
  DatabaseDir dir;

  SUBCASE("missing directory") {
    auto path = dir.path / "no-such-dir" / "history.db";
    auto message = open_error(path);
    CHECK(message.find(path.string()) != std::string::npos);
    CHECK(message.find("does not exist") != std::string::npos);
    CHECK_FALSE(fs::exists(path.parent_path()));  // never created behind the daemon's back
  }
  SUBCASE("the path is a directory") {
    fs::create_directory(dir.db());
    CHECK(open_error(dir.db()).find("cannot be opened") != std::string::npos);
  }
  SUBCASE("garbage file") {
    std::ofstream(dir.db()) << std::string(8192, 'G');
    auto message = open_error(dir.db());
    CHECK(message.find(dir.db().string()) != std::string::npos);
    CHECK(message.find("not a valid SQLite database") != std::string::npos);
  }
  SUBCASE("garbage behind a valid SQLite header") {
    std::string bytes("SQLite format 3\0", 16);
    bytes += std::string(8192 - bytes.size(), '\xA5');
    std::ofstream(dir.db(), std::ios::binary) << bytes;
    CHECK(open_error(dir.db()).find("not a valid SQLite database") != std::string::npos);
  }
  SUBCASE("schema version newer than the code") {
    RawConnection(dir.db()).exec("PRAGMA user_version = 99");
    auto message = open_error(dir.db());
    CHECK(message.find(dir.db().string()) != std::string::npos);
    CHECK(message.find("schema version 99 is newer") != std::string::npos);
    CHECK(RawConnection(dir.db()).text("PRAGMA user_version") == "99");  // left untouched
  }
  SUBCASE("a current version but not our table") {
    RawConnection(dir.db()).exec("PRAGMA user_version = 4");
    auto message = open_error(dir.db());
    CHECK(message.find("not those of schema version 4") != std::string::npos);
    CHECK(message.find("no such table: messages") != std::string::npos);
  }
  SUBCASE("locked by another connection, before and after the switch to WAL") {
    bool wal = false;
    SUBCASE("a new database") {}
    SUBCASE("an existing WAL database") {
      append_all(SqliteHistoryStore(dir.db()), {record("*", 1, "ann", "hi")});
      wal = true;
    }
    CAPTURE(wal);
    RawConnection other(dir.db());
    other.exec("BEGIN EXCLUSIVE");
    other.exec("CREATE TABLE IF NOT EXISTS holding_the_lock(x)");
    auto start = std::chrono::steady_clock::now();
    auto message = open_error(dir.db(), {.busy_timeout = 50ms});
    CHECK(std::chrono::steady_clock::now() - start >= 40ms);
    CHECK(message.find(dir.db().string()) != std::string::npos);
    CHECK(message.find("locked by another process for more than 50 ms") != std::string::npos);
    other.exec("ROLLBACK");
    CHECK(open_error(dir.db()).empty());
  }
}

// File permissions do not bind root, so as root the opening runs in a child process
// that has given up root for "nobody"; otherwise it runs here.
namespace {

std::string open_error_unprivileged(const fs::path& path) {
  if (::geteuid() != 0) return open_error(path);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::string message = "(could not drop root)";
    if (::setgid(65534) == 0 && ::setuid(65534) == 0) message = open_error(path);
    auto written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(written == static_cast<ssize_t>(message.size()) ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  return message;
}

}  // namespace

TEST_CASE("open refuses a database it cannot write") {
  DatabaseDir dir;
  append_all(SqliteHistoryStore(dir.db()), {record("*", 1, "ann", "hi")});
  // Everyone may reach the directory, so only the bits under test stand in the way.
  fs::permissions(dir.path, fs::perms::all & ~fs::perms::others_write & ~fs::perms::group_write);

  SUBCASE("read-only file") {
    fs::permissions(dir.db(),
                    fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    auto message = open_error_unprivileged(dir.db());
    CHECK(message.find(dir.db().string()) != std::string::npos);
    CHECK(message.find("read-only") != std::string::npos);
  }
  SUBCASE("writable file in a read-only directory (WAL needs its -wal and -shm files)") {
    fs::permissions(dir.db(), fs::perms::all);
    fs::permissions(dir.path,
                    fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    auto message = open_error_unprivileged(dir.db());
    CAPTURE(message);
    CHECK(message.find(dir.db().string()) != std::string::npos);
    CHECK((message.find("read-only") != std::string::npos ||
           message.find("cannot be opened") != std::string::npos));
  }
  SUBCASE("new file in a read-only directory") {
    fs::permissions(dir.path,
                    fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                    fs::perm_options::remove);
    auto path = dir.path / "new.db";
    auto message = open_error_unprivileged(path);
    CAPTURE(message);
    CHECK(message.find(path.string()) != std::string::npos);
    CHECK(message.find("cannot be opened") != std::string::npos);
  }
}

TEST_CASE("the DMs of a user") {
  DatabaseDir dir;
  SqliteHistoryStore store(dir.db());
  socketchat::test::check_direct_scopes(store);
}

TEST_CASE("message ids: given in order, kept across reopening, never given twice") {
  DatabaseDir dir;
  std::string epoch;
  {
    SqliteHistoryStore store(dir.db());
    socketchat::test::check_message_ids(store);
    epoch = store.epoch();
  }
  SqliteHistoryStore reopened(dir.db());
  CHECK(reopened.epoch() == epoch);  // the same history: the same epoch
  auto kept = reopened.read("#a", {.limit = 10});
  REQUIRE(kept.records.size() == 1);
  std::vector<HistoryRecord> next{record("#a", 1, "ann", "after reopening")};
  reopened.append(next);
  CHECK(next[0].id == kept.records[0].id + 1);
  CHECK(reopened.read("#a", {.after = kept.records[0].id, .limit = 10}).records.at(0).id ==
        next[0].id);
  DatabaseDir other;
  CHECK(SqliteHistoryStore(other.db()).epoch() != epoch);  // a new database: a new history
}

namespace {
// The journal files beside `db`, and how many bytes they hold together.
std::pair<int, std::uintmax_t> journal_files(const fs::path& db) {
  std::pair<int, std::uintmax_t> found{0, 0};
  const std::string prefix = db.filename().string() + "-aof.";
  for (const auto& entry : fs::directory_iterator(db.parent_path())) {
    if (!entry.path().filename().string().starts_with(prefix)) continue;
    ++found.first;
    found.second += fs::file_size(entry.path());
  }
  return found;
}

std::vector<std::uint64_t> ids_of(const std::vector<HistoryRecord>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& r : records) out.push_back(r.id);
  return out;
}
}  // namespace

TEST_CASE("journal: ids after the database's; read once appended") {
  DatabaseDir dir;
  SqliteHistoryStore store(dir.db());
  append_all(store, {record("#a", 1, "ann", "stored")});
  std::vector<HistoryRecord> batch{record("#a", 2, "ann", "journaled 1"),
                                   record("#b", 3, "bob", "journaled 2")};
  REQUIRE(store.journal(batch));
  CHECK(ids_of(batch) == std::vector<std::uint64_t>{2, 3});
  CHECK(texts(store.latest("#a", 10)) == std::vector<std::string>{"stored"});
  CHECK(journal_files(dir.db()).second > 0);
  // An append without ids meanwhile comes after them.
  std::vector<HistoryRecord> plain{record("#a", 4, "ann", "plain")};
  store.append(plain);
  CHECK(plain[0].id == 4);
  store.append(batch);  // the server indexes them, in order, with the ids they have
  CHECK(ids_of(batch) == std::vector<std::uint64_t>{2, 3});
  CHECK(texts(store.latest("#a", 10)) ==
        std::vector<std::string>{"stored", "journaled 1", "plain"});
  CHECK(ids_of(store.latest("#b", 10)) == std::vector<std::uint64_t>{3});
  CHECK(journal_files(dir.db()).first == 1);  // a small file, indexed, is written on
}

TEST_CASE("journal: what a crash left unindexed is in the database when it is opened again") {
  DatabaseDir dir;
  std::string epoch;
  {
    SqliteHistoryStore store(dir.db());
    epoch = store.epoch();
    append_all(store, {record("#a", 1, "ann", "indexed")});
    std::vector<HistoryRecord> first{record("#a", 2, "ann", "journaled only")};
    std::vector<HistoryRecord> second{record("@ann|bob", 3, "bob", "a DM, journaled only")};
    REQUIRE(store.journal(first));
    REQUIRE(store.journal(second));
  }  // destroyed without append(): as after a SIGKILL, the journal holds them
  SqliteHistoryStore reopened(dir.db());
  CHECK(reopened.epoch() == epoch);
  CHECK(texts(reopened.latest("#a", 10)) == std::vector<std::string>{"indexed", "journaled only"});
  CHECK(ids_of(reopened.latest("#a", 10)) == std::vector<std::uint64_t>{1, 2});
  CHECK(texts(reopened.latest("@ann|bob", 10)) == std::vector<std::string>{"a DM, journaled only"});
  CHECK(journal_files(dir.db()) == std::pair<int, std::uintmax_t>{1, 0});  // only the new one
  std::vector<HistoryRecord> next{record("#a", 4, "ann", "next")};
  REQUIRE(reopened.journal(next));
  CHECK(next[0].id == 4);  // never an id given twice
}

TEST_CASE("journal: refused, ids untouched, past journal_bytes, with sync_full, or with 0") {
  DatabaseDir dir;
  {
    // Room for three such records: "*", "ann" and a text of one byte, and the overhead.
    const std::size_t each = SqliteHistoryStore::journal_record_overhead + 1 + 3 + 1;
    SqliteHistoryStore store(dir.db(), {.journal_bytes = 3 * each});
    std::vector<HistoryRecord> two(2, record("*", 1, "ann", "x"));
    REQUIRE(store.journal(two));
    std::vector<HistoryRecord> two_more(2, record("*", 1, "ann", "y"));
    CHECK_FALSE(store.journal(two_more));  // 4 would wait for the database
    CHECK(ids_of(two_more) == std::vector<std::uint64_t>{0, 0});
    store.append(two);  // indexed: room again
    REQUIRE(store.journal(two_more));
    CHECK(ids_of(two_more) == std::vector<std::uint64_t>{3, 4});
    store.append(two_more);
    // One record whose text alone is more than the bound: its bytes count, not records.
    std::vector<HistoryRecord> long_one{record("*", 1, "ann", std::string(3 * each, 'l'))};
    CHECK_FALSE(store.journal(long_one));
    store.append(long_one);
    CHECK(long_one[0].id == 5);
  }
  std::uint64_t expected = 6;
  for (SqliteHistoryOptions options :
       {SqliteHistoryOptions{.sync_full = true}, SqliteHistoryOptions{.journal_bytes = 0}}) {
    SqliteHistoryStore store(dir.db(), options);
    std::vector<HistoryRecord> one{record("*", 1, "ann", "z")};
    CHECK_FALSE(store.journal(one));
    CHECK(one[0].id == 0);
    store.append(one);
    CHECK(one[0].id == expected++);
  }
}

TEST_CASE("journal: records it could not index stay in the journal for the next open") {
  DatabaseDir dir;
  // Enough that the journal would start a new file and remove this one once indexed.
  std::vector<HistoryRecord> batch;
  for (int i = 0; i < 100; ++i) {
    batch.push_back(record("#a", i, "ann", std::to_string(i) + std::string(1000, '.')));
  }
  {
    SqliteHistoryStore store(dir.db(), {.busy_timeout = 20ms});
    REQUIRE(store.journal(batch));
    {
      RawConnection other(dir.db());
      other.exec("BEGIN EXCLUSIVE");
      CHECK_THROWS_AS(store.append(batch), std::runtime_error);
      other.exec("ROLLBACK");
    }
    // From then on messages wait for their commit: the journal takes no more.
    std::vector<HistoryRecord> later{record("#a", 100, "ann", "committed")};
    CHECK_FALSE(store.journal(later));
    store.append(later);
    CHECK(later[0].id == 101);
    CHECK(texts(store.latest("#a", 500)) == std::vector<std::string>{"committed"});
  }
  SqliteHistoryStore reopened(dir.db());
  auto all = reopened.latest("#a", 500);
  REQUIRE(all.size() == 101);
  CHECK(ids_of(all).front() == 1);
  CHECK(all[99].text == batch[99].text);
  CHECK(all[100].text == "committed");
  CHECK(journal_files(dir.db()) == std::pair<int, std::uintmax_t>{1, 0});
  std::vector<HistoryRecord> one{record("#a", 4, "ann", "journaled again")};
  CHECK(reopened.journal(one));
}

TEST_CASE("journal: a record retention removed is not brought back from it") {
  DatabaseDir dir;
  {
    SqliteHistoryStore store(dir.db());
    std::vector<HistoryRecord> old{record("#a", 1000, "ann", "old")};
    REQUIRE(store.journal(old));
    store.append(old);
    std::vector<HistoryRecord> newer{record("#a", 5000, "ann", "newer")};
    REQUIRE(store.journal(newer));
    store.append(newer);
    // Both in the file being written until it is emptied; a crash leaves such a file
    // when a later record is still unindexed.
    std::vector<HistoryRecord> last{record("#a", 6000, "ann", "unindexed")};
    REQUIRE(store.journal(last));
    CHECK(store.prune(std::chrono::system_clock::time_point(std::chrono::milliseconds(2000))) == 1);
  }
  SqliteHistoryStore reopened(dir.db());
  CHECK(texts(reopened.latest("#a", 10)) == std::vector<std::string>{"newer", "unindexed"});
}
