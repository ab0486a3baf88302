#pragma once

#include <chrono>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "store/sqlite_handles.hpp"

namespace socketchat::detail {

// Opens one SQLite database file of a store, brings its schema up to date, and words
// every failure for the operator:
// `<kind> "<path>": <action>: <what went wrong, in words> (<SQLite's message>)`.
// Failures to open throw config_error.
struct SqliteOpener {
  std::string kind;  // e.g. "history database"
  std::filesystem::path path;
  std::chrono::milliseconds busy_timeout{2000};

  // `what` replaces the words chosen from SQLite's error code.
  std::string failure(std::string_view action, sqlite3* db, std::string what = {}) const;
  [[noreturn]] void fail_open(sqlite3* db) const;

  // A connection with extended result codes and the busy timeout.
  SqliteDb connect(int flags) const;
  // Refuses a connection SQLite opened read-only, and puts the file in WAL mode: the
  // first statement that reads it, so garbage shows up here as "not a database".
  void require_writable_wal(sqlite3* db) const;
  SqliteStatement prepare(sqlite3* db, const char* sql, std::string what_on_failure = {}) const;
  // Steps a one-row PRAGMA and returns its first column as text.
  std::string pragma(sqlite3* db, const char* sql) const;
  // Migration i brings the schema from version i to i + 1 (PRAGMA user_version); a
  // database of a later version than migrations.size() is refused. All in one write
  // transaction, which also proves the database can be written, and stops two processes
  // migrating at once.
  void migrate(sqlite3* db, std::span<const char* const> migrations) const;
};

}  // namespace socketchat::detail
