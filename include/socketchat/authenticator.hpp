#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "socketchat/reply_error.hpp"

namespace socketchat {

// Which command asks to log in (PROTOCOL.md: core commands and Accounts).
enum class LoginKind {
  name,              // LOGIN <name>
  password,          // LOGIN <name> <password>
  token,             // TOKEN <token>: `name` is empty
  register_account,  // REGISTER <name> <password>: create the account, then log in as it
};

// A client's LOGIN (or REGISTER, TOKEN), as an Authenticator sees it. Views are valid
// only during the call to authenticate(): copy what you keep. The password and the
// token are secrets: never log them.
struct LoginRequest {
  LoginKind kind = LoginKind::name;
  std::string_view name{};       // the name asked for; always a valid name (PROTOCOL.md)
  std::string_view password{};   // with kind password and register_account
  std::string_view token{};      // with kind token
  std::string_view remote{};     // "address:port" of the client, as in events
  std::string_view transport{};  // "tcp", "tls", "ws", "wss", a scheme an embedder
                                 // registered, or "local"; may be empty
  bool encrypted = false;        // nobody on the way reads it: TLS, wss, in-process, or an
                                 // embedder's Stream that says so (Stream::encrypted)
  std::uint64_t connection = 0;  // the connection's number, as in events
};

// What an Authenticator decides about one LOGIN.
struct LoginResult {
  // Logs the client in as a guest: as `name` when one is given (it must be a valid
  // name), else under the name it asked for.
  static LoginResult accept(std::string name = {}) {
    return {.accepted = true, .name = std::move(name)};
  }
  // Logs the client in to the account `name` (as spelled at registration), created at
  // `created_unix_ms`: its DM history since then is its own (HISTORY @user).
  // An operator may kick, ban and mute anywhere (PROTOCOL.md, Operators).
  static LoginResult accept_account(std::string name, std::int64_t created_unix_ms,
                                    bool is_operator = false) {
    return {.accepted = true,
            .name = std::move(name),
            .account = true,
            .account_created_unix_ms = created_unix_ms,
            .is_operator = is_operator};
  }
  // Refuses the LOGIN; the client is told `error` (`ERR invalid-username` unless another
  // code fits better, such as username_taken or bad_credentials) and may try again.
  static LoginResult refuse(ReplyError error = ReplyError::invalid_username) {
    return {.accepted = false, .error = error};
  }

  bool accepted = false;
  std::string name{};
  ReplyError error = ReplyError::invalid_username;
  bool account = false;  // an account's owner, not a guest
  std::int64_t account_created_unix_ms = 0;
  bool is_operator = false;
};

// A logged-in account owner's command about its account.
struct AccountRequest {
  enum class Kind {
    change_password,  // PASSWD <old> <new>
    issue_token,      // TOKEN: a session token to log back in with
    become_operator,  // OPER <account> <password>: `account` is the operator's account,
                      // not necessarily the asker's name
  };
  Kind kind = Kind::issue_token;
  std::string_view account{};       // the account's name, as logged in
  std::string_view password{};      // change_password: the old one
  std::string_view new_password{};  // change_password
  std::string_view remote{};
  std::string_view transport{};
  bool encrypted = false;  // as in LoginRequest
  std::uint64_t connection = 0;
};

// What an Authenticator answers to an AccountRequest: an error, or nothing (OK); a
// token for issue_token.
struct AccountResult {
  std::optional<ReplyError> error{};
  std::string token{};
};

// Decides who may log in under which name (Server::set_authenticator). Without one,
// any valid free name nobody else has is accepted at once; the server's own accounts
// (ServerOptions::accounts) are an Authenticator too.
//
// The answer may come later, from any thread (a database, a remote service): the
// client's LOGIN and every command after it wait for it, and are then answered in
// order. Whatever it decides, a name is still unique: one taken meanwhile is refused
// `ERR username-taken`. An answer for a connection that has closed meanwhile logs
// nobody in.
class Authenticator {
 public:
  using Done = std::function<void(LoginResult result)>;
  using AccountDone = std::function<void(AccountResult result)>;

  virtual ~Authenticator() = default;

  // Called on the connection's I/O thread: do not block it. Call `done` once, now or
  // later, from any thread; further calls are ignored. One that never comes leaves the
  // connection waiting until its login timeout. An exception thrown here refuses the
  // LOGIN and is reported to the sinks as `authenticator-failed`.
  virtual void authenticate(const LoginRequest& request, Done done) = 0;

  // True if it knows accounts: then LOGIN with a password, REGISTER and TOKEN reach
  // authenticate(), and PASSWD and TOKEN requests account(). False (the default): those
  // are what they are without accounts (a LOGIN's second word makes an invalid name,
  // REGISTER, TOKEN and PASSWD are unknown commands).
  virtual bool handles_accounts() const noexcept { return false; }

  // An account owner's PASSWD or TOKEN request, or anyone's OPER, as authenticate():
  // answer once, now or later, from any thread.
  virtual void account(const AccountRequest& request, AccountDone done) {
    (void)request;
    done({.error = ReplyError::unknown_command});
  }
};

}  // namespace socketchat
