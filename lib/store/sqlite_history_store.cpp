#include "socketchat/sqlite_history_store.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <fmt/format.h>
#include <sqlite3.h>

#include "socketchat/error.hpp"

namespace socketchat {

namespace {

// Migration i brings the schema from version i to i + 1 (PRAGMA user_version).
// Append new ones; never edit one that has shipped.
constexpr const char* migrations[] = {
    "CREATE TABLE messages(id INTEGER PRIMARY KEY, scope TEXT NOT NULL,"
    " unix_ms INTEGER NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL);"
    "CREATE INDEX messages_by_scope ON messages(scope, id);",
    // 2: retention deletes by age without scanning the whole table.
    "CREATE INDEX messages_by_time ON messages(unix_ms);",
};
constexpr int schema_version = static_cast<int>(std::size(migrations));

struct CloseDb {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct Finalize {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;
using Statement = std::unique_ptr<sqlite3_stmt, Finalize>;

// Makes a statement reusable however its step ended, and drops bindings that point
// into the caller's strings.
class ResetGuard {
 public:
  explicit ResetGuard(sqlite3_stmt* statement) : statement_(statement) {}
  ~ResetGuard() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  sqlite3_stmt* statement_;
};

// Rolls back an open transaction unless it was committed, so that a throw anywhere
// leaves nothing half-written.
class RollbackGuard {
 public:
  explicit RollbackGuard(sqlite3* db) : db_(db) {}
  ~RollbackGuard() {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  RollbackGuard(const RollbackGuard&) = delete;
  RollbackGuard& operator=(const RollbackGuard&) = delete;

 private:
  sqlite3* db_;
};

// Only for fixed SQL written here: anything that carries data goes through bindings.
int exec(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
}

int bind_text(sqlite3_stmt* statement, int index, const std::string& text) {
  return sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_STATIC,
                             SQLITE_UTF8);
}

std::string column_text(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, column)))
              : std::string();
}

}  // namespace

struct SqliteHistoryStore::Impl {
  std::filesystem::path path;
  SqliteHistoryOptions options;

  std::mutex write_mutex;  // append() and prune()
  Db writer;
  Statement insert;
  Statement remove_older;

  std::mutex read_mutex;  // latest()
  Db reader;
  Statement select_latest;

  // `history database "<path>": <action>: <what went wrong, in words> (<SQLite's message>)`
  // `what` replaces the words chosen from SQLite's error code.
  std::string failure(std::string_view action, sqlite3* db, std::string what = {}) const {
    if (what.empty()) {
      switch (sqlite3_errcode(db) & 0xff) {
        case SQLITE_BUSY:
          what = fmt::format("locked by another process for more than {} ms",
                             options.busy_timeout.count());
          break;
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
          what = "not a valid SQLite database";
          break;
        case SQLITE_READONLY:
          what = "the file or its directory is read-only";
          break;
        case SQLITE_CANTOPEN:
          what = "the file or its directory cannot be opened";
          break;
        case SQLITE_FULL:
          what = "the disk is full";
          break;
        case SQLITE_IOERR:
          what = "an I/O error";
          break;
        default:
          what = "SQLite error";
          break;
      }
    }
    return fmt::format("history database \"{}\": {}: {} ({})", path.string(), action, what,
                       sqlite3_errmsg(db));
  }

  [[noreturn]] void fail_open(sqlite3* db) const { throw config_error(failure("cannot open", db)); }

  Db connect(int flags) const {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    Db db(raw);  // even a failed open returns a handle, to read the message from
    if (rc != SQLITE_OK) {
      // SQLite's "unable to open database file" does not say why; the usual reason does.
      std::error_code ec;
      auto directory = path.parent_path();
      if (!directory.empty() && !std::filesystem::is_directory(directory, ec)) {
        throw config_error(
            fmt::format("history database \"{}\": cannot open: directory \"{}\" "
                        "does not exist",
                        path.string(), directory.string()));
      }
      fail_open(raw);
    }
    sqlite3_extended_result_codes(raw, 1);
    auto timeout = std::min<std::chrono::milliseconds::rep>(options.busy_timeout.count(), INT_MAX);
    sqlite3_busy_timeout(raw, static_cast<int>(timeout));
    return db;
  }

  Statement prepare(sqlite3* db, const char* sql, std::string what_on_failure = {}) const {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
        SQLITE_OK) {
      throw config_error(failure("cannot open", db, std::move(what_on_failure)));
    }
    return Statement(statement);
  }

  // Steps a one-row PRAGMA and returns its first column as text.
  std::string pragma(sqlite3* db, const char* sql) const {
    auto statement = prepare(db, sql);
    int rc = sqlite3_step(statement.get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail_open(db);
    return rc == SQLITE_ROW ? column_text(statement.get(), 0) : std::string();
  }

  // Applies the missing migrations inside one write transaction, which also proves at
  // open that the database can be written, and stops two processes migrating at once.
  void migrate(sqlite3* db) const {
    if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) fail_open(db);
    RollbackGuard rollback(db);
    int version = std::stoi(pragma(db, "PRAGMA user_version"));
    if (version > schema_version) {
      throw config_error(
          fmt::format("history database \"{}\": cannot open: its schema version {} "
                      "is newer than this socketchat knows ({}); upgrade socketchat",
                      path.string(), version, schema_version));
    }
    for (int next = version; next < schema_version; ++next) {
      if (exec(db, migrations[next]) != SQLITE_OK) fail_open(db);
    }
    // PRAGMA takes no bound parameters; the number is ours, not data.
    auto set_version = fmt::format("PRAGMA user_version = {}", schema_version);
    if (exec(db, set_version.c_str()) != SQLITE_OK || exec(db, "COMMIT") != SQLITE_OK) {
      fail_open(db);
    }
  }
};

SqliteHistoryStore::SqliteHistoryStore(const std::filesystem::path& path,
                                       SqliteHistoryOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.path = path;
  s.options = options;

  s.writer = s.connect(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = s.writer.get();
  // SQLite falls back to read-only silently when the file cannot be written.
  if (sqlite3_db_readonly(db, "main") == 1) {
    throw config_error(
        fmt::format("history database \"{}\": cannot open: the file is read-only", path.string()));
  }
  // The first statement that reads the file: garbage shows up here as "not a database".
  // WAL lets latest() read while append() commits.
  if (s.pragma(db, "PRAGMA journal_mode=WAL") != "wal") {
    throw config_error(
        fmt::format("history database \"{}\": cannot open: WAL mode refused", path.string()));
  }
  const char* sync = options.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (exec(db, sync) != SQLITE_OK) s.fail_open(db);
  s.migrate(db);
  // Prepared now, so a table that is not what this code expects fails here, not later.
  auto unexpected = fmt::format("its tables are not those of schema version {}", schema_version);
  s.insert = s.prepare(db, "INSERT INTO messages(scope, unix_ms, sender, text) VALUES(?, ?, ?, ?)",
                       unexpected);
  s.remove_older = s.prepare(db, "DELETE FROM messages WHERE unix_ms < ?", unexpected);

  s.reader = s.connect(SQLITE_OPEN_READWRITE);
  if (exec(s.reader.get(), "PRAGMA query_only=ON") != SQLITE_OK) s.fail_open(s.reader.get());
  s.select_latest = s.prepare(
      s.reader.get(),
      "SELECT unix_ms, sender, text FROM messages WHERE scope = ? ORDER BY id DESC LIMIT ?",
      unexpected);
}

SqliteHistoryStore::~SqliteHistoryStore() = default;

void SqliteHistoryStore::append(std::span<const HistoryRecord> records) {
  if (records.empty()) return;
  std::lock_guard lock(impl_->write_mutex);
  sqlite3* db = impl_->writer.get();
  sqlite3_stmt* insert = impl_->insert.get();

  // IMMEDIATE takes the write lock up front, so a busy database fails here, before any row.
  if (exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) {
    throw std::runtime_error(impl_->failure("append failed", db));
  }
  RollbackGuard rollback(db);
  for (const HistoryRecord& record : records) {
    ResetGuard reset(insert);
    if (bind_text(insert, 1, record.scope) != SQLITE_OK ||
        sqlite3_bind_int64(insert, 2, record.unix_ms) != SQLITE_OK ||
        bind_text(insert, 3, record.from) != SQLITE_OK ||
        bind_text(insert, 4, record.text) != SQLITE_OK || sqlite3_step(insert) != SQLITE_DONE) {
      throw std::runtime_error(impl_->failure("append failed", db));
    }
  }
  if (exec(db, "COMMIT") != SQLITE_OK) {
    throw std::runtime_error(impl_->failure("append failed", db));
  }
}

std::vector<HistoryRecord> SqliteHistoryStore::latest(const std::string& scope, std::size_t limit) {
  std::vector<HistoryRecord> records;
  if (limit == 0) return records;
  std::lock_guard lock(impl_->read_mutex);
  sqlite3* db = impl_->reader.get();
  sqlite3_stmt* select = impl_->select_latest.get();

  // Reset promptly: an unfinished read would pin the WAL and stall checkpoints.
  ResetGuard reset(select);
  auto max_limit = static_cast<std::size_t>(INT64_MAX);
  if (bind_text(select, 1, scope) != SQLITE_OK ||
      sqlite3_bind_int64(select, 2, static_cast<sqlite3_int64>(std::min(limit, max_limit))) !=
          SQLITE_OK) {
    throw std::runtime_error(impl_->failure("reading history failed", db));
  }
  int rc;
  while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
    records.push_back(
        {scope, sqlite3_column_int64(select, 0), column_text(select, 1), column_text(select, 2)});
  }
  if (rc != SQLITE_DONE) throw std::runtime_error(impl_->failure("reading history failed", db));
  std::reverse(records.begin(), records.end());  // newest first from the index, oldest first out
  return records;
}

std::size_t SqliteHistoryStore::prune(std::chrono::system_clock::time_point cutoff) {
  // Rounded up: a record at 1000 ms is older than a cutoff at 1000.5 ms.
  auto cutoff_ms = std::chrono::ceil<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  std::lock_guard lock(impl_->write_mutex);
  sqlite3* db = impl_->writer.get();
  sqlite3_stmt* remove = impl_->remove_older.get();

  ResetGuard reset(remove);
  if (sqlite3_bind_int64(remove, 1, cutoff_ms) != SQLITE_OK ||
      sqlite3_step(remove) != SQLITE_DONE) {
    throw std::runtime_error(impl_->failure("prune failed", db));
  }
  return static_cast<std::size_t>(sqlite3_changes64(db));
}

}  // namespace socketchat
