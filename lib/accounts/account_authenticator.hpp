#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accounts/jwt_verifier.hpp"
#include "accounts/login_throttle.hpp"
#include "accounts/password_hash.hpp"
#include "accounts/session_tokens.hpp"
#include "accounts/work_pool.hpp"
#include "socketchat/account_store.hpp"
#include "socketchat/authenticator.hpp"
#include "socketchat/options.hpp"

namespace socketchat::detail {

// The server's own accounts (ServerOptions::accounts): REGISTER, LOGIN with a password,
// TOKEN, PASSWD, as PROTOCOL.md's Accounts section says. Passwords are hashed and
// checked on a pool of threads of their own, the account store read on another, so
// no I/O thread waits for either; answers come from those threads.
class AccountAuthenticator final : public Authenticator {
 public:
  // `options` must be valid and accounts not off.
  explicit AccountAuthenticator(const ServerOptions& options);
  ~AccountAuthenticator() override;

  void authenticate(const LoginRequest& request, Done done) override;
  bool handles_accounts() const noexcept override { return true; }
  void account(const AccountRequest& request, AccountDone done) override;

 private:
  void log_in_with_password(const LoginRequest& request, Done done);
  void register_account(const LoginRequest& request, Done done);
  void log_in_with_token(const LoginRequest& request, Done done);
  void log_in_with_jwt(std::string_view token, std::string address, Done done);
  void guest(const LoginRequest& request, Done done);
  void change_password(const AccountRequest& request, AccountDone done);
  void become_operator(const AccountRequest& request, AccountDone done);
  void issue_token(const AccountRequest& request, AccountDone done);

  // Why a password may not even be looked at here: a connection that is not encrypted
  // (Stream::encrypted) from anything but a loopback IP address, unless allowed.
  bool plaintext_refused(bool encrypted, std::string_view remote) const;
  // Why a new password cannot be an account's (REGISTER, PASSWD), or nullopt.
  static std::optional<ReplyError> unfit_password(std::string_view password);
  LoginResult accepted(const Account& account);

  ServerOptions::Accounts mode_;
  bool registration_open_;
  bool allow_plaintext_;
  PasswordCost cost_;
  std::chrono::seconds token_lifetime_;
  std::shared_ptr<AccountStore> store_;
  SessionTokens tokens_;
  std::optional<JwtVerifier> jwt_;  // tokens the host mints: none when jwt_algorithm is empty
  LoginThrottle throttle_;
  WorkPool hashing_;  // password hashes: slow, bounded by password_hash_queue
  WorkPool lookups_;  // store reads for guests' LOGIN and TOKEN: quick
};

}  // namespace socketchat::detail
