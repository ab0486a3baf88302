#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "socketchat/reply_error.hpp"

namespace socketchat {

// A client's LOGIN, as an Authenticator sees it. Views are valid only during the call
// to authenticate(): copy what you keep.
struct LoginRequest {
  std::string_view name{};       // the name asked for; always a valid name (PROTOCOL.md)
  std::string_view password{};   // empty: the protocols do not carry one yet
  std::string_view token{};      // empty: the protocols do not carry one yet
  std::string_view remote{};     // "address:port" of the client, as in events
  std::string_view transport{};  // "tcp", "tls", "ws", "wss"; empty if not known
  std::uint64_t connection = 0;  // the connection's number, as in events
};

// What an Authenticator decides about one LOGIN.
struct LoginResult {
  // Logs the client in: as `name` when one is given (an account's own spelling, say;
  // it must be a valid name), else under the name it asked for.
  static LoginResult accept(std::string name = {}) {
    return {.accepted = true, .name = std::move(name)};
  }
  // Refuses the LOGIN; the client is told `error` (`ERR invalid-username` unless another
  // code fits better, such as username_taken) and may try again.
  static LoginResult refuse(ReplyError error = ReplyError::invalid_username) {
    return {.accepted = false, .error = error};
  }

  bool accepted = false;
  std::string name{};
  ReplyError error = ReplyError::invalid_username;
};

// Decides who may log in under which name (Server::set_authenticator). Without one,
// any valid name nobody else has is accepted at once.
//
// The answer may come later, from any thread (a database, a remote service): the
// client's LOGIN and every command after it wait for it, and are then answered in
// order. Whatever it decides, a name is still unique: one taken meanwhile is refused
// `ERR username-taken`. An answer for a connection that has closed meanwhile logs
// nobody in.
class Authenticator {
 public:
  using Done = std::function<void(LoginResult result)>;

  virtual ~Authenticator() = default;

  // Called on the connection's I/O thread: do not block it. Call `done` once, now or
  // later, from any thread; further calls are ignored. One that never comes leaves the
  // connection waiting until its login timeout. An exception thrown here refuses the
  // LOGIN and is reported to the sinks as `authenticator-failed`.
  virtual void authenticate(const LoginRequest& request, Done done) = 0;
};

}  // namespace socketchat
