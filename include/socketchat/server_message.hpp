#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "socketchat/history_store.hpp"
#include "socketchat/reply_error.hpp"

namespace socketchat {

// What the Hub sends to clients, before any protocol has spelled it out. Views are
// valid only while the message is being encoded.
enum class Notice {
  ok,                 // a command succeeded (to a LOGIN: user, the name it gave; to a
                      // TOKEN login also text, that name, which it did not give)
  error,              // a command was refused: error
  message,            // public message: user, text
  direct_message,     // private message: user (sender), text
  user_list,          // names, in order
  pong,               // text: the token, possibly empty
  help,               // the protocol's command list
  user_disconnected,  // user; or, when names is given, each of those users in turn;
                      // text: the reason given (QUIT), for user only
  inactivity,         // the connection is being closed for inactivity
  shutting_down,      // the server is stopping
  joined,             // user joined room
  left,               // user left room; text: the reason given, maybe empty
  room_message,       // room, user, text
  room_list,          // rooms, in order
  history,            // history records, oldest first: of room; of the DMs with user;
                      // of the public feed when neither is set
  user_info,          // the user looked up (Verb::user_info): user, as spelled at LOGIN
  room_info,          // the room looked up (Verb::room_info): rooms holds it alone
  token,              // a session token for the asker's account: text (a secret)
  kicked,             // user was kicked from room by `by`; text: the reason, maybe empty
  banned,             // to a user banned server-wide, before its connection is closed
  name_taken,         // to a user whose name another server of its cluster gave away
                      // while this one was cut off, before its connection is closed
  away,               // to the sender of a DM: its recipient, user, is away; text: why
  counts,             // Verb::counts answered: counts
  renamed,            // user is now called text (to everyone else: the renamed user's
                      // RENAME is answered ok, with user its new name)
  topic,              // the topic of room asked for (Verb::topic): text, set by `by` at
                      // time_ms; text empty: none
  topic_changed,      // to a room's members: `by` set room's topic to text at time_ms
                      // (empty: cleared); identity is by's
  room_modes,         // the modes of room asked for: text ("+nt"); time_ms: created
  ban_list,           // the bans of room: names, masks (nick!user@host)
  modes_changed,      // to a room's members: `by` changed room's modes: text, as IRC
                      // spells them ("+o-v alice bob"); identity is by's
  invited,            // to a user: `by` invites it to room; identity is by's
  away_changed,       // to everyone: user is away, text: why (IRC's AWAY); empty: back
  conversations,      // HistoryOf::conversations answered: history, one record a
                      // conversation, oldest first: scope names it as the asker does ("*",
                      // "#<room>", a user), unix_ms is its latest message
};

// What kind of text a message (MSG, DM, SAY) carries: IRC's NOTICE and CTCP. An action
// (IRC's /me, CTCP ACTION) is no kind of its own: it is a text that starts with "/me ".
enum class MessageKind {
  text,
  notice,      // IRC's NOTICE (never answered automatically); the line protocol shows a text
  ctcp,        // a CTCP query between IRC clients (VERSION, PING...): the text is what lies
               // between its \x01s. Not kept in history; the line protocol shows nothing
  ctcp_reply,  // a CTCP reply (IRC sends it as a NOTICE): as ctcp
};

// An action (IRC's /me) is a text that starts with this, whatever protocol sent it.
inline constexpr std::string_view action_prefix = "/me ";

// A kind of message that history keeps and every protocol shows.
constexpr bool is_stored_kind(MessageKind kind) noexcept {
  return kind == MessageKind::text || kind == MessageKind::notice;
}

// Why a history reply may not hold everything asked for (PROTOCOL.md, Gaps).
enum class HistoryGap {
  none,
  expired,  // messages after the asked-for id may have been removed
  reset,    // the id is of another epoch: the history it came from is gone
  more,     // a resume: more were stored after the id than the replay holds
};

// What IRC shows of a user besides its name: what it said of itself (IRC's USER: in
// `nick!~user@host` and WHOIS; empty: nothing said, the name stands in) and its state.
struct UserIdentity {
  std::string_view user_name{};
  std::string_view real_name{};
  std::string_view away{};     // why it is away (IRC's AWAY); empty: it is not
  std::string_view account{};  // its account's name when logged in to one; empty: a guest
  bool is_operator = false;
};

// How many there are (Notice::counts): users online, the most there were at once since
// the server started, and rooms.
struct ServerCounts {
  std::size_t users = 0;
  std::size_t most_users = 0;
  std::size_t rooms = 0;
};

struct RoomSummary {
  std::string_view name;
  std::size_t members;
  std::string_view topic{};  // empty: none
};

// A member's standing in its room (user_list of a room): IRC's @ and +.
struct RoomRoles {
  bool room_operator = false;
  bool voiced = false;
};

struct ServerMessage {
  Notice notice;
  ReplyError error{};
  std::string_view user{};
  std::string_view text{};
  std::string_view room{};
  std::string_view by{};  // kicked, topic, topic_changed, modes_changed, invited: who did it
  // Of the message's source (user; by when kicked), and of user_info's user.
  UserIdentity identity{};
  MessageKind kind{};  // message, room_message, direct_message
  ServerCounts counts{};
  std::span<const std::string_view> names{};
  // One per name when known (user_disconnected, user_list), else empty.
  std::span<const UserIdentity> identities{};
  // user_list of a room: one per name, its roles there; else empty.
  std::span<const RoomRoles> roles{};
  // user_disconnected with names: one per name, each one's reason (maybe empty), or none.
  std::span<const std::string_view> reasons{};
  std::span<const RoomSummary> rooms{};
  std::span<const HistoryRecord> history{};
  // A message kept in history (message, room_message, direct_message; history's records):
  // its store's epoch, and (messages) its id, 0 when not kept, and time_ms its stamp.
  std::string_view epoch{};
  std::uint64_t id = 0;
  std::string_view to{};  // direct_message: its recipient
  // The sender's own copy of its message (message, room_message, direct_message) sent
  // back to it as a reply: the label of the command that sent it (Command::label).
  std::string_view label{};
  HistoryGap gap = HistoryGap::none;  // history
  // history: its records are the first after an id (AFTER), so what fits in max_bytes
  // is the oldest of them; else the latest.
  bool history_forward = false;
  // A list (user_list, room_list, history): the most bytes its encoding may take, its
  // end included. A longer list is cut short and says how many entries it left out
  // (PROTOCOL.md, "Long lists"): user_list and room_list keep their first entries,
  // history its latest records. 0 = no limit.
  std::size_t max_bytes = 0;
  // ok to a LOGIN: how many rooms a user may be in at once (IRC's CHANLIMIT); 0 = no limit.
  std::size_t room_limit = 0;
  // topic, topic_changed: when set; room_modes: created; a message: its stamp (unix ms)
  std::int64_t time_ms = 0;
  // user_list (WHO) and room_list (ROOMS) of everything: the version of the Hub's table
  // the list was made from (next_list_version). An encoder whose output depends on the
  // message alone may give the same bytes again for the same notice, version and
  // max_bytes without encoding anew. 0: not to be reused (WHO <room>, and any other).
  std::uint64_t list_version = 0;
};

}  // namespace socketchat
