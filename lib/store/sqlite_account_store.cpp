#include "socketchat/sqlite_account_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>
#include <sqlite3.h>

#include "socketchat/error.hpp"
#include "store/sqlite_handles.hpp"
#include "store/sqlite_opener.hpp"
#include "util/text.hpp"

namespace socketchat {

namespace {

using detail::bind_text;
using detail::column_text;
using detail::ResetGuard;
using detail::SqliteStatement;

// Migration i brings the schema from version i to i + 1 (SqliteOpener::migrate).
// Append new ones; never edit one that has shipped.
constexpr const char* account_migrations[] = {
    // name_key is the ASCII lower-case name: one account per name whatever its case,
    // and the order of list().
    "CREATE TABLE accounts(name_key TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " password_hash TEXT NOT NULL, is_operator INTEGER NOT NULL DEFAULT 0,"
    " created_unix_ms INTEGER NOT NULL, token_generation INTEGER NOT NULL DEFAULT 0);",
};
constexpr int account_schema_version = static_cast<int>(std::size(account_migrations));

// Long enough for the admin command to wait out a server's write, and the reverse.
constexpr std::chrono::milliseconds busy_timeout{5000};

constexpr const char* columns =
    "name, password_hash, is_operator, created_unix_ms, token_generation";

// SQLite creates a missing file with the umask's permissions, and its -wal and -shm
// files with those of the database: made here first, they are all the owner's alone.
void create_private(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != ENOENT) {  // a missing directory is worded by SqliteOpener::connect
    throw config_error(
        fmt::format("account database \"{}\": cannot open: {}", path, std::strerror(errno)));
  }
}

Account read_account(sqlite3_stmt* statement) {
  Account account;
  account.name = column_text(statement, 0);
  account.password_hash = column_text(statement, 1);
  account.is_operator = sqlite3_column_int64(statement, 2) != 0;
  account.created_unix_ms = sqlite3_column_int64(statement, 3);
  account.token_generation = static_cast<std::uint64_t>(sqlite3_column_int64(statement, 4));
  return account;
}

}  // namespace

struct SqliteAccountStore::Impl {
  detail::SqliteOpener file;
  std::mutex mutex;  // everything below
  detail::SqliteDb db;
  SqliteStatement select_one;
  SqliteStatement select_all;
  SqliteStatement insert;
  SqliteStatement update_hash;
  SqliteStatement update_operator;
  SqliteStatement raise_generation;
  SqliteStatement remove;

  // Never names the data bound to the statement: SQLite's message does not either.
  [[noreturn]] void fail(std::string_view action) const {
    throw std::runtime_error(file.failure(action, db.get()));
  }

  // Steps a statement that changes at most one row; whether it did.
  bool change_one(sqlite3_stmt* statement, std::string_view action) {
    if (sqlite3_step(statement) != SQLITE_DONE) fail(action);
    return sqlite3_changes64(db.get()) > 0;
  }
};

SqliteAccountStore::SqliteAccountStore(const std::string& path) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.file = {"account database", path, busy_timeout};
  create_private(path);
  s.db = s.file.connect(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* db = s.db.get();
  // WAL: the server reads while the admin command writes. Synchronous stays at SQLite's
  // FULL: account changes are rare, and should survive a power loss.
  s.file.require_writable_wal(db);
  s.file.migrate(db, account_migrations);

  // Prepared now, so a table that is not what this code expects fails here, not later.
  auto unexpected =
      fmt::format("its tables are not those of schema version {}", account_schema_version);
  auto prepare = [&](const std::string& sql) {
    return s.file.prepare(db, sql.c_str(), unexpected);
  };
  s.select_one = prepare(fmt::format("SELECT {} FROM accounts WHERE name_key = ?", columns));
  s.select_all = prepare(fmt::format("SELECT {} FROM accounts ORDER BY name_key", columns));
  s.insert = prepare(
      "INSERT INTO accounts(name_key, name, password_hash, is_operator, created_unix_ms,"
      " token_generation) VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(name_key) DO NOTHING");
  s.update_hash = prepare(
      "UPDATE accounts SET password_hash = ?, token_generation = token_generation + ?"
      " WHERE name_key = ?");
  s.update_operator = prepare("UPDATE accounts SET is_operator = ? WHERE name_key = ?");
  s.raise_generation =
      prepare("UPDATE accounts SET token_generation = token_generation + 1 WHERE name_key = ?");
  s.remove = prepare("DELETE FROM accounts WHERE name_key = ?");
}

SqliteAccountStore::~SqliteAccountStore() = default;

std::optional<Account> SqliteAccountStore::find(std::string_view name) {
  const std::string key = detail::ascii_lower(name);
  std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* select = impl_->select_one.get();
  // Reset promptly: an unfinished read would pin the WAL and stall checkpoints.
  ResetGuard reset(select);
  if (bind_text(select, 1, key) != SQLITE_OK) impl_->fail("reading an account failed");
  int rc = sqlite3_step(select);
  if (rc == SQLITE_DONE) return std::nullopt;
  if (rc != SQLITE_ROW) impl_->fail("reading an account failed");
  return read_account(select);
}

bool SqliteAccountStore::create(const Account& account) {
  const std::string key = detail::ascii_lower(account.name);
  std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* insert = impl_->insert.get();
  ResetGuard reset(insert);
  if (bind_text(insert, 1, key) != SQLITE_OK || bind_text(insert, 2, account.name) != SQLITE_OK ||
      bind_text(insert, 3, account.password_hash) != SQLITE_OK ||
      sqlite3_bind_int(insert, 4, account.is_operator ? 1 : 0) != SQLITE_OK ||
      sqlite3_bind_int64(insert, 5, account.created_unix_ms) != SQLITE_OK ||
      sqlite3_bind_int64(insert, 6, static_cast<sqlite3_int64>(account.token_generation)) !=
          SQLITE_OK) {
    impl_->fail("creating an account failed");
  }
  return impl_->change_one(insert, "creating an account failed");
}

bool SqliteAccountStore::set_password_hash(std::string_view name, std::string_view password_hash,
                                           bool revoke_tokens) {
  const std::string key = detail::ascii_lower(name);
  std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* update = impl_->update_hash.get();
  ResetGuard reset(update);
  if (bind_text(update, 1, password_hash) != SQLITE_OK ||
      sqlite3_bind_int(update, 2, revoke_tokens ? 1 : 0) != SQLITE_OK ||
      bind_text(update, 3, key) != SQLITE_OK) {
    impl_->fail("changing a password failed");
  }
  return impl_->change_one(update, "changing a password failed");
}

bool SqliteAccountStore::set_operator(std::string_view name, bool is_operator) {
  const std::string key = detail::ascii_lower(name);
  std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* update = impl_->update_operator.get();
  ResetGuard reset(update);
  if (sqlite3_bind_int(update, 1, is_operator ? 1 : 0) != SQLITE_OK ||
      bind_text(update, 2, key) != SQLITE_OK) {
    impl_->fail("changing an operator failed");
  }
  return impl_->change_one(update, "changing an operator failed");
}

bool SqliteAccountStore::revoke_tokens(std::string_view name) {
  const std::string key = detail::ascii_lower(name);
  std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* update = impl_->raise_generation.get();
  ResetGuard reset(update);
  if (bind_text(update, 1, key) != SQLITE_OK) impl_->fail("revoking tokens failed");
  return impl_->change_one(update, "revoking tokens failed");
}

bool SqliteAccountStore::remove(std::string_view name) {
  const std::string key = detail::ascii_lower(name);
  std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* remove = impl_->remove.get();
  ResetGuard reset(remove);
  if (bind_text(remove, 1, key) != SQLITE_OK) impl_->fail("removing an account failed");
  return impl_->change_one(remove, "removing an account failed");
}

std::vector<Account> SqliteAccountStore::list() {
  std::lock_guard lock(impl_->mutex);
  sqlite3_stmt* select = impl_->select_all.get();
  ResetGuard reset(select);
  std::vector<Account> accounts;
  int rc;
  while ((rc = sqlite3_step(select)) == SQLITE_ROW) accounts.push_back(read_account(select));
  if (rc != SQLITE_DONE) impl_->fail("listing accounts failed");
  return accounts;
}

}  // namespace socketchat
