#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socketchat/account_store.hpp"

namespace socketchat {

// Accounts in an SQLite database file of their own, e.g. "<data-dir>/accounts.db" beside
// history.db. The file is created readable by its owner only (mode 0600: it holds
// password hashes).
//
// The constructor opens or creates the file and brings its schema up to date; it
// throws config_error, naming the path, when the directory is missing, the file is not
// a database or is newer than this version understands, or the database cannot be
// written. WAL mode and a busy timeout of a few seconds let several processes (a
// running server, the operator's `socketchatd accounts`) use the file at once.
//
// Threads: one connection under a mutex; every call may come from any thread. A failing
// call throws std::runtime_error with SQLite's message. Built when SOCKETCHAT_HAS_SQLITE
// is 1.
class SqliteAccountStore final : public AccountStore {
 public:
  explicit SqliteAccountStore(const std::string& path);
  ~SqliteAccountStore() override;
  SqliteAccountStore(const SqliteAccountStore&) = delete;
  SqliteAccountStore& operator=(const SqliteAccountStore&) = delete;

  std::optional<Account> find(std::string_view name) override;
  bool create(const Account& account) override;
  bool set_password_hash(std::string_view name, std::string_view password_hash,
                         bool revoke_tokens) override;
  bool set_operator(std::string_view name, bool is_operator) override;
  bool revoke_tokens(std::string_view name) override;
  bool remove(std::string_view name) override;
  std::vector<Account> list() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace socketchat
