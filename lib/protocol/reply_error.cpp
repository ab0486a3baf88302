#include "socketchat/reply_error.hpp"

namespace socketchat {

std::string_view code_of(ReplyError error) noexcept {
  switch (error) {
    case ReplyError::line_too_long:
      return "line-too-long";
    case ReplyError::invalid_utf8:
      return "invalid-utf8";
    case ReplyError::invalid_username:
      return "invalid-username";
    case ReplyError::username_taken:
      return "username-taken";
    case ReplyError::already_logged_in:
      return "already-logged-in";
    case ReplyError::not_logged_in:
      return "not-logged-in";
    case ReplyError::unknown_command:
      return "unknown-command";
    case ReplyError::missing_argument:
      return "missing-argument";
    case ReplyError::empty_message:
      return "empty-message";
    case ReplyError::no_such_user:
      return "no-such-user";
    case ReplyError::rate_limited:
      return "rate-limited";
    case ReplyError::server_full:
      return "server-full";
    case ReplyError::too_many_connections:
      return "too-many-connections";
    case ReplyError::message_rejected:
      return "message-rejected";
    case ReplyError::invalid_room:
      return "invalid-room";
    case ReplyError::already_in_room:
      return "already-in-room";
    case ReplyError::not_in_room:
      return "not-in-room";
    case ReplyError::no_such_room:
      return "no-such-room";
    case ReplyError::invalid_count:
      return "invalid-count";
    case ReplyError::storage_failed:
      return "storage-failed";
    case ReplyError::too_many_rooms:
    case ReplyError::server_rooms_full:
      return "too-many-rooms";
    case ReplyError::username_registered:
      return "username-registered";
    case ReplyError::weak_password:
      return "weak-password";
    case ReplyError::password_too_long:
      return "password-too-long";
    case ReplyError::invalid_password:
      return "invalid-password";
    case ReplyError::registration_closed:
      return "registration-closed";
    case ReplyError::tls_required:
      return "tls-required";
    case ReplyError::bad_credentials:
      return "bad-credentials";
    case ReplyError::password_required:
      return "password-required";
    case ReplyError::login_throttled:
      return "login-throttled";
    case ReplyError::bad_token:
      return "bad-token";
    case ReplyError::not_registered:
      return "not-registered";
    case ReplyError::server_busy:
      return "server-busy";
    case ReplyError::not_operator:
      return "not-operator";
    case ReplyError::banned:
      return "banned";
    case ReplyError::muted:
      return "muted";
    case ReplyError::too_many_bans:
      return "too-many-bans";
    case ReplyError::cannot_rename:
      return "cannot-rename";
  }
  return "internal";
}

}  // namespace socketchat
