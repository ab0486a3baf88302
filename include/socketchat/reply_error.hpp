#pragma once

#include <string_view>

namespace socketchat {

// Every refusal the server can answer with; each Protocol spells them its own way
// (the line protocol as "ERR <code>").
enum class ReplyError {
  line_too_long,
  invalid_utf8,
  invalid_username,
  username_taken,
  already_logged_in,
  not_logged_in,
  unknown_command,
  missing_argument,
  empty_message,
  no_such_user,
  rate_limited,
  server_full,
  too_many_connections,
  message_rejected,  // by the server's moderation hook
  invalid_room,
  already_in_room,
  not_in_room,
  no_such_room,
  invalid_count,
  storage_failed,     // the history store could not keep a message, so it was not sent
  too_many_rooms,     // a JOIN past the user's room limit (max_rooms_per_user)
  server_rooms_full,  // a JOIN that would create a room past the server's (max_rooms)
  // Accounts (PROTOCOL.md, Accounts).
  username_registered,  // REGISTER of a name that is an account's already
  weak_password,        // under 8 bytes
  password_too_long,    // over 256 bytes
  invalid_password,     // one with a space or tab in it
  registration_closed,  // REGISTER while only operators create accounts
  tls_required,         // a password over a plain transport, from outside loopback
  bad_credentials,      // unknown name or wrong password: one reply for both
  password_required,    // LOGIN <name> of an account's name, or any when guests are not let in
  login_throttled,      // too many failed logins from this address or for this account
  bad_token,            // TOKEN of a token that is forged, expired, revoked or malformed
  not_registered,       // an account's command (PASSWD, TOKEN) from a guest
  server_busy,          // too many password checks wait already: try again later
  // Operators, room operators and modes (PROTOCOL.md).
  not_operator,   // KICK, BAN, MUTE... by a user who may not, or of an operator
  banned,         // LOGIN of a name banned server-wide, JOIN of a room banned from
  muted,          // a message from a user muted there
  too_many_bans,  // max_bans reached
  // RENAME (IRC's NICK) of an account's user, whose name is its account's, or on a
  // cluster, whose names are claimed in Redis.
  cannot_rename,
  // Room modes (PROTOCOL.md, Operators, room operators and modes).
  invite_only,       // JOIN of an invite-only room (+i) without an invitation
  bad_key,           // JOIN of a room with a key (+k) without it
  room_full,         // JOIN of a room at its limit (+l)
  moderated,         // SAY in a moderated room (+m) by one neither operator nor voiced
  unknown_mode,      // MODE with a letter not known
  invalid_argument,  // MODE with a bad key or limit; CAPS with an unknown capability
  invalid_id,        // a message id that does not parse, or one not given yet
};

inline constexpr auto last_reply_error = ReplyError::invalid_id;

// The line protocol's code word, e.g. "username-taken".
std::string_view code_of(ReplyError error) noexcept;

}  // namespace socketchat
