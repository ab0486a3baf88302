#include "socketchat/sqlite_history_store.hpp"

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "socketchat/error.hpp"
#include "store/history_journal.hpp"
#include "store/sqlite_checkpointer.hpp"
#include "store/sqlite_handles.hpp"
#include "store/sqlite_opener.hpp"
#include "util/text.hpp"

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
    // 4: message ids (HistoryRecord::id) are the rows' ids, given by append() itself so
    // that none is given twice even after retention emptied the table; the epoch names
    // this history, and removed_through is the highest id retention may have removed.
    "CREATE TABLE history_meta(epoch TEXT NOT NULL, removed_through INTEGER NOT NULL);"
    "INSERT INTO history_meta SELECT lower(hex(randomblob(5))),"
    " coalesce((SELECT min(id) FROM messages), 1) - 1;",
};
constexpr int history_schema_version = static_cast<int>(std::size(history_migrations));
// Rows one INSERT adds: a statement's run costs about as much as a row's B-tree work,
// so 16 a statement take 40 % less CPU a row than one (PERFORMANCE.md).
constexpr std::size_t rows_per_insert = 16;
constexpr int columns = 5;

// What the records take in memory while they wait for the database (journal_bytes).
std::size_t cost_of(std::span<const HistoryRecord> records) {
  std::size_t bytes = 0;
  for (const HistoryRecord& r : records) {
    bytes += SqliteHistoryStore::journal_record_overhead + r.scope.size() + r.from.size() +
             r.text.size();
  }
  return bytes;
}

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
  // BEGIN IMMEDIATE and COMMIT, prepared once: each batch of appends runs both.
  Statement begin;
  Statement commit;
  Statement insert_row;
  Statement insert_rows;  // rows_per_insert of them
  Statement insert_missing;
  Statement remove_older;
  Statement mark_removed;
  std::uint64_t last_id = 0;  // the highest id in the database (under write_mutex)

  // journal() runs on I/O threads while append() commits: ids are given under a lock of
  // their own, by either.
  std::mutex journal_mutex;
  std::optional<detail::HistoryJournal> journal;
  std::size_t journal_bytes = 0;    // 0: journal() refuses
  std::size_t unindexed_bytes = 0;  // of the records journaled, not yet in the database
  std::uint64_t given_id = 0;       // the highest id given (under journal_mutex)
  // The first id of a journaled batch append() failed to store (0: none): from then on
  // the journal keeps its records for the next open, and takes no more.
  std::uint64_t failed_from = 0;

  std::mutex read_mutex;  // read()
  Db reader;
  Statement select_newest;
  Statement select_oldest;
  Statement select_meta;
  Statement select_directs;
  std::string epoch;

  // The rows `select` finds (id, unix_ms, sender, text), in its order.
  std::vector<HistoryRecord> rows(sqlite3_stmt* select, const std::string& scope);
  // Opens the journal and indexes what it holds that the database lacks (a crash, or
  // an index that failed), but nothing retention may have removed.
  void recover_journal(const std::filesystem::path& path, std::uint64_t removed_through);
  // Inserts the records, ids set, in one transaction (under write_mutex); throws. With
  // `missing_only`, a record whose id is in the table already is left as it is.
  void insert(std::span<const HistoryRecord> records, bool missing_only = false);
  // Binds `record` as the `row`th of `statement`'s rows of values.
  static bool bind_row(sqlite3_stmt* statement, std::size_t row, const HistoryRecord& record);
  // Under journal_mutex: the database has every record up to `id`. Returns the journal
  // files to remove, once the lock is released.
  [[nodiscard]] std::vector<std::filesystem::path> indexed_through(std::uint64_t id);
  // Of `scope`, the records in `range` (under read_mutex).
  std::vector<HistoryRecord> select_range(const std::string& scope, const HistoryRange& range);

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
  // WAL lets read() read while append() commits.
  s.file.require_writable_wal(db);
  const char* sync = options.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (sqlite_exec(db, sync) != SQLITE_OK) s.file.fail_open(db);
  s.file.migrate(db, history_migrations);
  // Prepared now, so a table that is not what this code expects fails here, not later.
  auto unexpected =
      fmt::format("its tables are not those of schema version {}", history_schema_version);
  s.begin = s.file.prepare(db, "BEGIN IMMEDIATE", unexpected);
  s.commit = s.file.prepare(db, "COMMIT", unexpected);
  s.insert_row = s.file.prepare(
      db, "INSERT INTO messages(id, scope, unix_ms, sender, text) VALUES(?, ?, ?, ?, ?)",
      unexpected);
  {
    std::string many =
        "INSERT INTO messages(id, scope, unix_ms, sender, text) VALUES(?, ?, ?, ?, ?)";
    for (std::size_t i = 1; i < rows_per_insert; ++i) many += ", (?, ?, ?, ?, ?)";
    s.insert_rows = s.file.prepare(db, many.c_str(), unexpected);
  }
  s.insert_missing = s.file.prepare(
      db, "INSERT OR IGNORE INTO messages(id, scope, unix_ms, sender, text) VALUES(?, ?, ?, ?, ?)",
      unexpected);
  // Stamps rise with ids (the HistoryWriter stamps in the order it stores), so the
  // records older than the cutoff are those before the first that is not: found by
  // reading in id order from the oldest, which reads only what is removed (and one more).
  s.remove_older =
      s.file.prepare(db,
                     "DELETE FROM messages WHERE id < coalesce("
                     "(SELECT id FROM messages WHERE unix_ms >= ?1 ORDER BY id LIMIT 1),"
                     " (SELECT max(id) + 1 FROM messages))",
                     unexpected);
  // What is left starts after what was removed; nothing left: every id given may be gone.
  s.mark_removed = s.file.prepare(db,
                                  "UPDATE history_meta SET removed_through = max(removed_through,"
                                  " coalesce((SELECT min(id) FROM messages) - 1, ?1))",
                                  unexpected);
  {
    auto last = s.file.prepare(
        db,
        "SELECT max(removed_through, coalesce((SELECT max(id) FROM messages), 0)), epoch,"
        " removed_through FROM history_meta",
        unexpected);
    if (sqlite3_step(last.get()) != SQLITE_ROW)
      throw config_error(s.file.failure("cannot open", db, unexpected));
    s.last_id = static_cast<std::uint64_t>(sqlite3_column_int64(last.get(), 0));
    s.epoch = column_text(last.get(), 1);
    s.recover_journal(path, static_cast<std::uint64_t>(sqlite3_column_int64(last.get(), 2)));
  }

  s.reader = s.file.connect(SQLITE_OPEN_READWRITE);
  if (sqlite_exec(s.reader.get(), "PRAGMA query_only=ON") != SQLITE_OK)
    s.file.fail_open(s.reader.get());
  s.select_newest = s.file.prepare(s.reader.get(),
                                   "SELECT id, unix_ms, sender, text FROM messages"
                                   " WHERE scope = ?1 AND id > ?2 AND id < ?3 AND (?5 IS NULL OR "
                                   "unix_ms > ?5) AND (?6 IS NULL OR unix_ms < ?6)"
                                   " ORDER BY id DESC LIMIT ?4",
                                   unexpected);
  s.select_oldest = s.file.prepare(s.reader.get(),
                                   "SELECT id, unix_ms, sender, text FROM messages"
                                   " WHERE scope = ?1 AND id > ?2 AND id < ?3 AND (?5 IS NULL OR "
                                   "unix_ms > ?5) AND (?6 IS NULL OR unix_ms < ?6)"
                                   " ORDER BY id LIMIT ?4",
                                   unexpected);
  s.select_meta = s.file.prepare(
      s.reader.get(),
      "SELECT removed_through, max(removed_through, coalesce((SELECT max(id) FROM messages), 0))"
      " FROM history_meta",
      unexpected);
  // Every DM's scope ("@<a>|<b>", all between '@' and 'A'), one index seek each: the
  // next scope after the last found, not every row of every DM.
  s.select_directs =
      s.file.prepare(s.reader.get(),
                     "WITH RECURSIVE dms(scope) AS ("
                     " SELECT min(scope) FROM messages WHERE scope > '@' AND scope < 'A'"
                     " UNION ALL SELECT (SELECT min(scope) FROM messages"
                     " WHERE scope > dms.scope AND scope < 'A') FROM dms"
                     " WHERE dms.scope IS NOT NULL)"
                     " SELECT scope FROM dms WHERE scope IS NOT NULL",
                     unexpected);
  s.checkpointer = std::make_unique<detail::SqliteCheckpointer>(
      s.file.connect(SQLITE_OPEN_READWRITE), s.writer.get());
}

SqliteHistoryStore::~SqliteHistoryStore() = default;

void SqliteHistoryStore::Impl::recover_journal(const std::filesystem::path& path,
                                               std::uint64_t removed_through) {
  auto base = path;
  base += "-aof";
  try {
    journal.emplace(base);
  } catch (const std::exception& e) {
    throw config_error(fmt::format("history database \"{}\": cannot open its journal: {}",
                                   path.string(), e.what()));
  }
  std::vector<HistoryRecord>& found = journal->found();
  std::erase_if(found, [&](const HistoryRecord& r) { return r.id <= removed_through; });
  if (!found.empty()) {
    try {
      insert(found, true);
    } catch (const std::exception& e) {
      throw config_error(e.what());
    }
  }
  std::vector<HistoryRecord>().swap(found);
  given_id = last_id;
  detail::HistoryJournal::remove(indexed_through(last_id));
  if (!options.sync_full) journal_bytes = options.journal_bytes;
}

bool SqliteHistoryStore::Impl::bind_row(sqlite3_stmt* statement, std::size_t row,
                                        const HistoryRecord& record) {
  const int at = static_cast<int>(row) * columns;
  return sqlite3_bind_int64(statement, at + 1, static_cast<sqlite3_int64>(record.id)) ==
             SQLITE_OK &&
         bind_text(statement, at + 2, record.scope) == SQLITE_OK &&
         sqlite3_bind_int64(statement, at + 3, record.unix_ms) == SQLITE_OK &&
         bind_text(statement, at + 4, record.from) == SQLITE_OK &&
         bind_text(statement, at + 5, record.text) == SQLITE_OK;
}

void SqliteHistoryStore::Impl::insert(std::span<const HistoryRecord> records, bool missing_only) {
  sqlite3* db = writer.get();
  // IMMEDIATE takes the write lock up front, so a busy database fails here, before any row.
  if (detail::step_once(begin.get()) != SQLITE_DONE) {
    throw std::runtime_error(file.failure("append failed", db));
  }
  RollbackGuard rollback(db);
  std::size_t at = 0;
  while (at < records.size()) {
    const bool many = !missing_only && records.size() - at >= rows_per_insert;
    sqlite3_stmt* add = many           ? insert_rows.get()
                        : missing_only ? insert_missing.get()
                                       : insert_row.get();
    const std::size_t rows = many ? rows_per_insert : 1;
    ResetGuard reset(add);
    for (std::size_t row = 0; row < rows; ++row) {
      if (!bind_row(add, row, records[at + row])) {
        throw std::runtime_error(file.failure("append failed", db));
      }
    }
    if (sqlite3_step(add) != SQLITE_DONE) {
      throw std::runtime_error(file.failure("append failed", db));
    }
    at += rows;
    // Offered between statements: on a core shared with an I/O thread, a long batch no
    // longer holds the CPU while a PING waits (the I/O thread runs, the rest follows).
    if (many) std::this_thread::yield();
  }
  if (detail::step_once(commit.get()) != SQLITE_DONE) {
    throw std::runtime_error(file.failure("append failed", db));
  }
  for (const HistoryRecord& record : records) last_id = std::max(last_id, record.id);
}

std::vector<std::filesystem::path> SqliteHistoryStore::Impl::indexed_through(std::uint64_t id) {
  return journal->indexed(failed_from != 0 ? std::min(id, failed_from - 1) : id);
}

void SqliteHistoryStore::append(std::span<HistoryRecord> records) {
  if (records.empty()) return;
  Impl& s = *impl_;
  std::lock_guard lock(s.write_mutex);
  const bool journaled = records.front().id != 0;
  const std::uint64_t first = journaled ? records.front().id : [&] {
    std::lock_guard ids(s.journal_mutex);
    const std::uint64_t next = s.given_id + 1;
    s.given_id += records.size();
    return next;
  }();
  if (!journaled) {
    for (std::size_t i = 0; i < records.size(); ++i) records[i].id = first + i;
  }
  try {
    s.insert(records);
  } catch (...) {
    std::lock_guard ids(s.journal_mutex);
    if (journaled) {
      // Kept in the journal for the next open; they are not in the database meanwhile.
      if (s.failed_from == 0 || first < s.failed_from) s.failed_from = first;
    } else if (s.given_id == records.back().id) {
      s.given_id = first - 1;  // its ids are given again, as none was given after them
    }
    throw;
  }
  const std::size_t bytes = journaled ? cost_of(records) : 0;
  std::vector<std::filesystem::path> done;
  {
    std::lock_guard ids(s.journal_mutex);
    s.unindexed_bytes -= std::min(bytes, s.unindexed_bytes);
    done = s.indexed_through(s.last_id);
  }
  detail::HistoryJournal::remove(done);
}

bool SqliteHistoryStore::journal(std::span<HistoryRecord> records) {
  if (records.empty()) return true;
  Impl& s = *impl_;
  std::lock_guard lock(s.journal_mutex);
  const std::size_t bytes = cost_of(records);
  if (s.failed_from != 0 || s.unindexed_bytes + bytes > s.journal_bytes) return false;
  for (std::size_t i = 0; i < records.size(); ++i) records[i].id = s.given_id + 1 + i;
  s.journal->write(records);
  s.given_id += records.size();
  s.unindexed_bytes += bytes;
  return true;
}

std::vector<HistoryRecord> SqliteHistoryStore::Impl::rows(sqlite3_stmt* select,
                                                          const std::string& scope) {
  std::vector<HistoryRecord> records;
  int rc;
  while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
    records.push_back({.scope = scope,
                       .unix_ms = sqlite3_column_int64(select, 1),
                       .from = column_text(select, 2),
                       .text = column_text(select, 3),
                       .id = static_cast<std::uint64_t>(sqlite3_column_int64(select, 0))});
  }
  if (rc != SQLITE_DONE)
    throw std::runtime_error(file.failure("reading history failed", reader.get()));
  return records;
}

namespace {
// A bound on stamps, or NULL for none (0): a stamp may be any 64-bit number.
int bind_stamp(sqlite3_stmt* statement, int index, std::int64_t ms) {
  return ms == 0 ? sqlite3_bind_null(statement, index) : sqlite3_bind_int64(statement, index, ms);
}
}  // namespace

std::vector<HistoryRecord> SqliteHistoryStore::Impl::select_range(const std::string& scope,
                                                                  const HistoryRange& range) {
  if (range.limit == 0) return {};
  sqlite3_stmt* select = range.newest ? select_newest.get() : select_oldest.get();
  // Reset promptly: an unfinished read would pin the WAL and stall checkpoints.
  ResetGuard reset(select);
  constexpr auto most = static_cast<std::uint64_t>(INT64_MAX);
  auto bound = [most](std::uint64_t id) { return static_cast<sqlite3_int64>(std::min(id, most)); };
  if (bind_text(select, 1, scope) != SQLITE_OK ||
      sqlite3_bind_int64(select, 2, bound(range.after)) != SQLITE_OK ||
      sqlite3_bind_int64(select, 3, range.before == 0 ? INT64_MAX : bound(range.before)) !=
          SQLITE_OK ||
      sqlite3_bind_int64(select, 4, bound(range.limit)) != SQLITE_OK ||
      bind_stamp(select, 5, range.after_ms) != SQLITE_OK ||
      bind_stamp(select, 6, range.before_ms) != SQLITE_OK) {
    throw std::runtime_error(file.failure("reading history failed", reader.get()));
  }
  auto records = rows(select, scope);
  if (range.newest) std::reverse(records.begin(), records.end());  // oldest first out
  return records;
}

HistoryPage SqliteHistoryStore::read(const std::string& scope, const HistoryRange& range) {
  std::lock_guard lock(impl_->read_mutex);
  HistoryPage page{.records = impl_->select_range(scope, range)};
  // After the records: a removal that took any of them is seen here.
  sqlite3_stmt* meta = impl_->select_meta.get();
  ResetGuard reset(meta);
  if (sqlite3_step(meta) != SQLITE_ROW)
    throw std::runtime_error(impl_->file.failure("reading history failed", impl_->reader.get()));
  page.gap = range.after < static_cast<std::uint64_t>(sqlite3_column_int64(meta, 0));
  page.last_id = static_cast<std::uint64_t>(sqlite3_column_int64(meta, 1));
  return page;
}

std::vector<std::string> SqliteHistoryStore::direct_scopes(std::string_view user) {
  const std::string key = detail::ascii_lower(user);
  std::lock_guard lock(impl_->read_mutex);
  sqlite3_stmt* select = impl_->select_directs.get();
  ResetGuard reset(select);
  std::vector<std::string> found;
  int rc;
  while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
    std::string scope = column_text(select, 0);
    if (is_dm_scope_of(scope, key)) found.push_back(std::move(scope));
  }
  if (rc != SQLITE_DONE) {
    throw std::runtime_error(impl_->file.failure("reading history failed", impl_->reader.get()));
  }
  return found;
}

std::string SqliteHistoryStore::epoch() {
  return impl_->epoch;  // set when opened, never changed
}

std::size_t SqliteHistoryStore::prune(std::chrono::system_clock::time_point cutoff) {
  // Rounded up: a record at 1000 ms is older than a cutoff at 1000.5 ms.
  auto cutoff_ms = std::chrono::ceil<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  std::lock_guard lock(impl_->write_mutex);
  sqlite3* db = impl_->writer.get();
  sqlite3_stmt* remove = impl_->remove_older.get();
  sqlite3_stmt* mark = impl_->mark_removed.get();

  if (sqlite_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) {
    throw std::runtime_error(impl_->file.failure("prune failed", db));
  }
  RollbackGuard rollback(db);
  std::size_t removed = 0;
  {
    ResetGuard reset(remove);
    if (sqlite3_bind_int64(remove, 1, cutoff_ms) != SQLITE_OK ||
        sqlite3_step(remove) != SQLITE_DONE) {
      throw std::runtime_error(impl_->file.failure("prune failed", db));
    }
    removed = static_cast<std::size_t>(sqlite3_changes64(db));
  }
  ResetGuard reset(mark);
  if (sqlite3_bind_int64(mark, 1, static_cast<sqlite3_int64>(impl_->last_id)) != SQLITE_OK ||
      sqlite3_step(mark) != SQLITE_DONE || sqlite_exec(db, "COMMIT") != SQLITE_OK) {
    throw std::runtime_error(impl_->file.failure("prune failed", db));
  }
  return removed;
}

}  // namespace socketchat
