#pragma once

#include <memory>

#include "socketchat/account_store.hpp"
#include "socketchat/redis_options.hpp"

namespace socketchat {

// Accounts in Redis (`sc:account:<lower-case name>` hashes, listed in `sc:accounts`;
// docs/CLUSTER.md): what several servers that share one Redis log in against alike.
// Each change is one Lua script, atomic in Redis.
//
// The constructor connects, and throws config_error when the URL is malformed or Redis
// cannot be reached or refuses the password. Later failures throw std::runtime_error
// from the call (the client is told `ERR storage-failed`), and the next call connects
// again.
//
// Threads: one connection, under a mutex; every call may come from any thread.
class RedisAccountStore final : public AccountStore {
 public:
  explicit RedisAccountStore(RedisOptions options);
  ~RedisAccountStore() override;
  RedisAccountStore(const RedisAccountStore&) = delete;
  RedisAccountStore& operator=(const RedisAccountStore&) = delete;

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
