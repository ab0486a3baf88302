#include "store/sqlite_opener.hpp"

#include <algorithm>
#include <climits>
#include <system_error>

#include <fmt/format.h>

#include "socketchat/error.hpp"

namespace socketchat::detail {

std::string SqliteOpener::failure(std::string_view action, sqlite3* db, std::string what) const {
  if (what.empty()) {
    switch (sqlite3_errcode(db) & 0xff) {
      case SQLITE_BUSY:
        what = fmt::format("locked by another process for more than {} ms", busy_timeout.count());
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
  return fmt::format("{} \"{}\": {}: {} ({})", kind, path.string(), action, what,
                     sqlite3_errmsg(db));
}

void SqliteOpener::fail_open(sqlite3* db) const {
  throw config_error(failure("cannot open", db));
}

SqliteDb SqliteOpener::connect(int flags) const {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  SqliteDb db(raw);  // even a failed open returns a handle, to read the message from
  if (rc != SQLITE_OK) {
    // SQLite's "unable to open database file" does not say why; the usual reason does.
    std::error_code ec;
    auto directory = path.parent_path();
    if (!directory.empty() && !std::filesystem::is_directory(directory, ec)) {
      throw config_error(fmt::format("{} \"{}\": cannot open: directory \"{}\" does not exist",
                                     kind, path.string(), directory.string()));
    }
    fail_open(raw);
  }
  sqlite3_extended_result_codes(raw, 1);
  auto timeout = std::min<std::chrono::milliseconds::rep>(busy_timeout.count(), INT_MAX);
  sqlite3_busy_timeout(raw, static_cast<int>(timeout));
  return db;
}

void SqliteOpener::require_writable_wal(sqlite3* db) const {
  // SQLite falls back to read-only silently when the file cannot be written.
  if (sqlite3_db_readonly(db, "main") == 1) {
    throw config_error(
        fmt::format("{} \"{}\": cannot open: the file is read-only", kind, path.string()));
  }
  if (pragma(db, "PRAGMA journal_mode=WAL") != "wal") {
    throw config_error(
        fmt::format("{} \"{}\": cannot open: WAL mode refused", kind, path.string()));
  }
}

SqliteStatement SqliteOpener::prepare(sqlite3* db, const char* sql,
                                      std::string what_on_failure) const {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
      SQLITE_OK) {
    throw config_error(failure("cannot open", db, std::move(what_on_failure)));
  }
  return SqliteStatement(statement);
}

std::string SqliteOpener::pragma(sqlite3* db, const char* sql) const {
  auto statement = prepare(db, sql);
  int rc = sqlite3_step(statement.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail_open(db);
  return rc == SQLITE_ROW ? column_text(statement.get(), 0) : std::string();
}

void SqliteOpener::migrate(sqlite3* db, std::span<const char* const> migrations) const {
  const int schema_version = static_cast<int>(migrations.size());
  if (sqlite_exec(db, "BEGIN IMMEDIATE") != SQLITE_OK) fail_open(db);
  RollbackGuard rollback(db);
  int version = std::stoi(pragma(db, "PRAGMA user_version"));
  if (version > schema_version) {
    throw config_error(
        fmt::format("{} \"{}\": cannot open: its schema version {} is newer than this "
                    "socketchat knows ({}); upgrade socketchat",
                    kind, path.string(), version, schema_version));
  }
  for (int next = version; next < schema_version; ++next) {
    if (sqlite_exec(db, migrations[static_cast<std::size_t>(next)]) != SQLITE_OK) fail_open(db);
  }
  // PRAGMA takes no bound parameters; the number is ours, not data.
  auto set_version = fmt::format("PRAGMA user_version = {}", schema_version);
  if (sqlite_exec(db, set_version.c_str()) != SQLITE_OK || sqlite_exec(db, "COMMIT") != SQLITE_OK) {
    fail_open(db);
  }
}

}  // namespace socketchat::detail
