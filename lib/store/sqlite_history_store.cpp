#include "socketchat/sqlite_history_store.hpp"

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>
#include <sqlite3.h>

#include "socketchat/error.hpp"
#include "store/sqlite_checkpointer.hpp"
#include "store/sqlite_handles.hpp"
#include "store/sqlite_opener.hpp"

namespace socketchat {

namespace {

// Migration i brings the schema from version i to i + 1 (SqliteOpener::migrate).
// Append new ones; never edit one that has shipped.
constexpr const char* history_migrations[] = {
    "CREATE TABLE messages(id INTEGER PRIMARY KEY, scope TEXT NOT NULL,"
    " unix_ms INTEGER NOT NULL, sender TEXT NOT NULL, text TEXT NOT NULL);"
    "CREATE INDEX messages_by_scope ON messages(scope, id);",
    // 2: retention deletes by age without scanning the whole table.
    "CREATE INDEX messages_by_time ON messages(unix_ms);",
    // 3: ...which cost every append a third B-tree (a sixth of the fanout with history
    // on one core): stamps rise with ids, so prune() finds its cut in id order instead.
    "DROP INDEX messages_by_time;",
};
constexpr int history_schema_version = static_cast<int>(std::size(history_migrations));

using Db = detail::SqliteDb;
using Statement = detail::SqliteStatement;
using detail::bind_text;
using detail::column_text;
using detail::ResetGuard;
using detail::RollbackGuard;
using detail::sqlite_exec;

}  // namespace

struct SqliteHistoryStore::Impl {
  detail::SqliteOpener file;
  SqliteHistoryOptions options;

  std::mutex write_mutex;  // append() and prune()
  Db writer;
  Statement insert;
  Statement remove_older;

  std::mutex read_mutex;  // latest()
  Db reader;
  Statement select_latest;

  // Last, so it stops before the connections it watches close.
  std::unique_ptr<detail::SqliteCheckpointer> checkpointer;
};

SqliteHistoryStore::SqliteHistoryStore(const std::filesystem::path& path,
                                       SqliteHistoryOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.file = {"history database", path, options.busy_timeout};
  s.options = options;

  s.writer = s.file.connect(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = s.writer.get();
  // WAL lets latest() read while append() commits.
  s.file.require_writable_wal(db);
  const char* sync = options.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (sqlite_exec(db, sync) != SQLITE_OK) s.file.fail_open(db);
  s.file.migrate(db, history_migrations);
  // Prepared now, so a table that is not what this code expects fails here, not later.
  auto unexpected =
      fmt::format("its tables are not those of schema version {}", history_schema_version);
  s.insert = s.file.prepare(
      db, "INSERT INTO messages(scope, unix_ms, sender, text) VALUES(?, ?, ?, ?)", unexpected);
  // Stamps rise with ids (the HistoryWriter stamps in the order it stores), so the
  // records older than the cutoff are those before the first that is not: found by
  // reading in id order from the oldest, which reads only what is removed (and one more).
  s.remove_older =
      s.file.prepare(db,
                     "DELETE FROM messages WHERE id < coalesce("
                     "(SELECT id FROM messages WHERE unix_ms >= ?1 ORDER BY id LIMIT 1),"
                     " (SELECT max(id) + 1 FROM messages))",
                     unexpected);

  s.reader = s.file.connect(SQLITE_OPEN_READWRITE);
  if (sqlite_exec(s.reader.get(), "PRAGMA query_only=ON") != SQLITE_OK)
    s.file.fail_open(s.reader.get());
  s.select_latest = s.file.prepare(
      s.reader.get(),
      "SELECT unix_ms, sender, text FROM messages WHERE scope = ? ORDER BY id DESC LIMIT ?",
      unexpected);
  s.checkpointer = std::make_unique<detail::SqliteCheckpointer>(
      s.file.connect(SQLITE_OPEN_READWRITE), s.writer.get());
}

SqliteHistoryStore::~SqliteHistoryStore() = default;

void SqliteHistoryStore::append(std::span<const HistoryRecord> records) {
  if (records.empty()) return;
  std::lock_guard lock(impl_->write_mutex);
  sqlite3* db = impl_->writer.get();
  sqlite3_stmt* insert = impl_->insert.get();

  // IMMEDIATE takes the write lock up front, so a busy database fails here, before any row.
  if (sqlite_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) {
    throw std::runtime_error(impl_->file.failure("append failed", db));
  }
  RollbackGuard rollback(db);
  for (const HistoryRecord& record : records) {
    ResetGuard reset(insert);
    if (bind_text(insert, 1, record.scope) != SQLITE_OK ||
        sqlite3_bind_int64(insert, 2, record.unix_ms) != SQLITE_OK ||
        bind_text(insert, 3, record.from) != SQLITE_OK ||
        bind_text(insert, 4, record.text) != SQLITE_OK || sqlite3_step(insert) != SQLITE_DONE) {
      throw std::runtime_error(impl_->file.failure("append failed", db));
    }
  }
  if (sqlite_exec(db, "COMMIT") != SQLITE_OK) {
    throw std::runtime_error(impl_->file.failure("append failed", db));
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
    throw std::runtime_error(impl_->file.failure("reading history failed", db));
  }
  int rc;
  while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
    records.push_back(
        {scope, sqlite3_column_int64(select, 0), column_text(select, 1), column_text(select, 2)});
  }
  if (rc != SQLITE_DONE)
    throw std::runtime_error(impl_->file.failure("reading history failed", db));
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
    throw std::runtime_error(impl_->file.failure("prune failed", db));
  }
  return static_cast<std::size_t>(sqlite3_changes64(db));
}

}  // namespace socketchat
