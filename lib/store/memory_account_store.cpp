#include "socketchat/memory_account_store.hpp"

#include "util/text.hpp"

namespace socketchat {

std::optional<Account> MemoryAccountStore::find(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(detail::ascii_lower(name));
  if (it == accounts_.end()) return std::nullopt;
  return it->second;
}

bool MemoryAccountStore::create(const Account& account) {
  std::lock_guard lock(mutex_);
  return accounts_.try_emplace(detail::ascii_lower(account.name), account).second;
}

bool MemoryAccountStore::set_password_hash(std::string_view name, std::string_view password_hash,
                                           bool revoke_tokens) {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(detail::ascii_lower(name));
  if (it == accounts_.end()) return false;
  it->second.password_hash = password_hash;
  if (revoke_tokens) ++it->second.token_generation;
  return true;
}

bool MemoryAccountStore::set_operator(std::string_view name, bool is_operator) {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(detail::ascii_lower(name));
  if (it == accounts_.end()) return false;
  it->second.is_operator = is_operator;
  return true;
}

bool MemoryAccountStore::revoke_tokens(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(detail::ascii_lower(name));
  if (it == accounts_.end()) return false;
  ++it->second.token_generation;
  return true;
}

bool MemoryAccountStore::remove(std::string_view name) {
  std::lock_guard lock(mutex_);
  return accounts_.erase(detail::ascii_lower(name)) > 0;
}

std::vector<Account> MemoryAccountStore::list() {
  std::lock_guard lock(mutex_);
  std::vector<Account> all;
  all.reserve(accounts_.size());
  for (const auto& [key, account] : accounts_) all.push_back(account);
  return all;
}

}  // namespace socketchat
