#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace socketchat {

enum class EventKind {
  connect,         // a connection was accepted: remote
  login,           // user logged in: user
  message,         // public MSG: user, text
  direct_message,  // DM: user (sender), target, text
  disconnect,      // a connection ended: user (empty if never logged in), remote, reason
  error,           // something went wrong that the server survived: detail, reason
  room_message,    // SAY (or an IRC PRIVMSG to #room): user, target (the room), text
  joined,          // user joined the room in target
  left,            // user left the room in target (PART; not when disconnecting)
};

// One thing that happened, as EventSinks see it. The string views point into the
// server's own buffers: they are valid only during the call to the sink, so a sink
// that keeps an event copies what it needs.
struct Event {
  EventKind kind{};
  std::chrono::system_clock::time_point time{};
  std::uint64_t connection = 0;  // a number unique to the connection while the server runs
  std::string_view remote{};     // "address:port" of the client
  std::string_view user{};       // who acted (logged-in name), if anyone
  std::string_view target{};     // DM recipient, or the room (as first spelled)
  std::string_view text{};       // message text, control characters already removed
  std::string_view detail{};     // error: a short machine-readable word, e.g. "sendq-exceeded"
  std::error_code reason{};      // disconnect or error cause, when there is one
};

std::string_view to_string(EventKind kind) noexcept;

}  // namespace socketchat
