#pragma once

// What the SQLite stores share: owning handles, guards that leave a connection clean
// however a call ends, and text in and out of bound parameters.

#include <memory>
#include <string>

#include <sqlite3.h>

namespace socketchat::detail {

struct CloseDb {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct Finalize {
  void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using SqliteDb = std::unique_ptr<sqlite3, CloseDb>;
using SqliteStatement = std::unique_ptr<sqlite3_stmt, Finalize>;

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
inline int sqlite_exec(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
}

// Runs a statement that returns no rows (a prepared BEGIN or COMMIT), leaving it ready
// to run again; SQLITE_DONE when it succeeded.
inline int step_once(sqlite3_stmt* statement) {
  ResetGuard reset(statement);
  return sqlite3_step(statement);
}

// Binds without a copy: the text must outlive the statement's step (see ResetGuard).
inline int bind_text(sqlite3_stmt* statement, int index, std::string_view text) {
  return sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_STATIC,
                             SQLITE_UTF8);
}

inline std::string column_text(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, column)))
              : std::string();
}

}  // namespace socketchat::detail
