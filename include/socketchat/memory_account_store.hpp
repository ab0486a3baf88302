#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socketchat/account_store.hpp"

namespace socketchat {

// Accounts kept in memory, lost when the process ends: for tests, and for embedders who
// register accounts themselves at start. Thread-safe; never blocks on I/O.
class MemoryAccountStore final : public AccountStore {
 public:
  std::optional<Account> find(std::string_view name) override;
  bool create(const Account& account) override;
  bool set_password_hash(std::string_view name, std::string_view password_hash,
                         bool revoke_tokens) override;
  bool set_operator(std::string_view name, bool is_operator) override;
  bool revoke_tokens(std::string_view name) override;
  bool remove(std::string_view name) override;
  std::vector<Account> list() override;

 private:
  std::mutex mutex_;
  // By the ASCII lower-case name: one entry per name whatever its case, in list() order.
  std::map<std::string, Account> accounts_;
};

}  // namespace socketchat
