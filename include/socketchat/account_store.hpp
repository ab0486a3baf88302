#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace socketchat {

// One registered account: a name that belongs to someone (PROTOCOL.md, Accounts).
struct Account {
  std::string name{};           // as spelled at registration; unique without regard to case
  std::string password_hash{};  // a PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash)
  bool is_operator = false;
  std::int64_t created_unix_ms = 0;
  // Session tokens carry the generation they were minted under; a token of an older
  // generation is refused. Changing the password or revoking tokens raises it.
  std::uint64_t token_generation = 0;

  bool operator==(const Account&) const = default;
};

// Where accounts live. Every call may come from several threads at once, and may
// block (on a disk): the server calls them off its I/O threads. A failure throws
// (the client is told `ERR storage-failed`). Names are looked up without regard to
// ASCII case.
class AccountStore {
 public:
  virtual ~AccountStore() = default;

  virtual std::optional<Account> find(std::string_view name) = 0;
  // Adds `account`; false if its name (in any case) is registered already.
  virtual bool create(const Account& account) = 0;
  // Sets a new password hash; with `revoke_tokens`, raises the token generation too.
  // False if there is no such account.
  virtual bool set_password_hash(std::string_view name, std::string_view password_hash,
                                 bool revoke_tokens) = 0;
  virtual bool set_operator(std::string_view name, bool is_operator) = 0;
  // Raises the token generation: every session token minted so far stops working.
  virtual bool revoke_tokens(std::string_view name) = 0;
  virtual bool remove(std::string_view name) = 0;
  // Every account, sorted by the ASCII lower-case form of the name.
  virtual std::vector<Account> list() = 0;
};

}  // namespace socketchat
