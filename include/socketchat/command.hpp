#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "socketchat/server_message.hpp"

namespace socketchat {

// What a client asks of the Hub, whatever protocol it speaks. Views point into the
// decoder's buffers and are valid for the duration of one Hub::handle() call.
// user_info and room_info look up one user or one room (IRC's WHOIS, TOPIC and MODE)
// without listing everyone.
enum class Verb {
  login,
  msg,
  dm,
  who,
  ping,
  quit,
  help,
  join,
  part,
  say,
  rooms,
  history,
  user_info,
  room_info,
  register_account,  // REGISTER <name> <password>
  token,             // TOKEN <token> before LOGIN; TOKEN alone asks for one after
  change_password,   // PASSWD <old> <new>
  kick,              // KICK <room> <user> [reason]: name, subject, text
  ban,               // BAN <room|*> <user>: name ("*": server-wide), subject
  unban,
  mute,
  unmute,
  oper,       // OPER <account> <password>: name, secret
  away,       // IRC's AWAY [message]: text, the message; empty: back
  part_all,   // IRC's JOIN 0: out of every room
  counts,     // IRC's LUSERS: how many users and rooms there are
  rename,     // RENAME <name> (IRC's NICK after registration): name
  topic,      // TOPIC <room>: name; the room's topic asked for
  set_topic,  // TOPIC <room> <topic>: name, text (empty: clear it)
  mode,       // MODE <room> [changes [arguments]]: name, text ("": the modes asked for;
              // "b": the ban list; else IRC's changes, "+ov-k alice bob")
  invite,     // INVITE: name (the room), subject (the user)
  unknown
};

// Whose messages a HISTORY asks for.
enum class HistoryOf {
  room,      // a room's: name
  everyone,  // the public feed's (MSG)
  user,      // the DMs between the asker and the user in name
  // The asker's conversations with a message strictly between anchor_ms and anchor_ms_2
  // (the public feed, its rooms, its DMs), each with its latest (IRC's CHATHISTORY
  // TARGETS): the first n after the earlier time when it is given first, else the last n.
  conversations,
};

// The most messages one HISTORY (IRC: CHATHISTORY) answers; a larger n means this many.
inline constexpr std::size_t max_history_messages = 500;

// Where in history a HISTORY reads, or a JOIN resumes from (PROTOCOL.md, Message ids).
enum class HistoryAnchor {
  latest,   // HISTORY: the latest messages
  after,    // HISTORY ... AFTER <id>: the first messages after the id
  before,   // HISTORY ... BEFORE <id>: the latest messages before the id
  since,    // JOIN ... SINCE <id>: joined, then the latest messages after the id (a resume)
  around,   // IRC's CHATHISTORY AROUND: half before the reference, half from it on
  between,  // IRC's CHATHISTORY BETWEEN: between two references, from the first's side
};

// A decoder hands over text as its users should see it: no line breaks or other
// control characters (the built-in protocols remove them), since other protocols put
// it on their wire as it is.
struct Command {
  Verb verb = Verb::unknown;
  std::string_view name{};  // LOGIN's username, DM's recipient, the room of JOIN, PART,
                            // SAY and WHO, HISTORY's room or user, the user or room
                            // looked up (empty when missing)
  std::string_view text{};  // MSG, DM and SAY text, PING token (trimmed, controls
                            // removed), HISTORY's count, PART's and QUIT's reason
  MessageKind kind = MessageKind::text;  // MSG, DM and SAY
  // A credential, never logged or shown: LOGIN's and REGISTER's password, TOKEN's
  // token, PASSWD's old password, JOIN's room key (empty when not given).
  std::string_view secret{};
  std::string_view new_secret{};  // PASSWD's new password
  // LOGIN's secret is offered, not required (IRC's PASS): without accounts it is
  // ignored, where the line protocol's second word would be part of the name.
  bool secret_optional = false;
  std::string_view subject{};  // the user KICK, BAN, UNBAN, MUTE, UNMUTE and INVITE are about
  HistoryOf history_of = HistoryOf::room;        // HISTORY: whose
  HistoryAnchor anchor = HistoryAnchor::latest;  // HISTORY, JOIN
  // The anchor's reference: a message id, or else a time (unix ms; 0: none). Needed but
  // for latest, where one bounds the messages from below (IRC's CHATHISTORY LATEST).
  std::string_view message_id{};
  std::int64_t anchor_ms = 0;
  // between: the second reference.
  std::string_view message_id_2{};
  std::int64_t anchor_ms_2 = 0;
  // An id of a history that is gone is refused (invalid_id), not answered with the
  // latest messages and a gap (IRC's CHATHISTORY, which has no gaps).
  bool unknown_id_is_error = false;
  bool follow_up = false;  // issued by the protocol for the same line as the command
                           // before it (IRC's NAMES after JOIN): not rate-counted again
  // MSG, DM and SAY: what the client labeled the command with (IRCv3 labeled-response),
  // for its own copy of the message. When it asked for its own messages
  // (Decoder::echoes_own_messages), that copy then comes as a reply through its encoder,
  // carrying the label (ServerMessage::label), rather than in the shared broadcast.
  std::string_view label{};
};

}  // namespace socketchat
