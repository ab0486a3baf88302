#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>

#include "detail/command.hpp"
#include "detail/event_bus.hpp"
#include "detail/peer.hpp"
#include "detail/server_message.hpp"
#include "socketchat/moderation.hpp"

namespace socketchat::detail {

// The shared state of chat: who is logged in, and where each message goes. It
// speaks Commands and ServerMessages only; protocols turn those into bytes.
//
// Threading: handle() and leave() run on the calling peer's strand; any number run
// at once. The user table is guarded by a reader/writer lock: routing takes it
// shared and only queues output (Peer::send never blocks), LOGIN and leave() take
// it exclusively. Sinks are called after the lock is released.
class Hub {
 public:
  explicit Hub(EventBus& bus) : bus_(bus) {}

  enum class After { stay, close };
  After handle(Peer& from, const Command& command);

  // Logs `peer` in as `name`, or says why not; replies nothing (handle() does).
  std::optional<ReplyError> try_login(Peer& peer, std::string_view name);

  // Set before the server starts; called for every MSG and DM.
  void set_filter(MessageFilter filter) { filter_ = std::move(filter); }

  // The peer's connection is ending: free its name and tell everyone, once.
  void leave(Peer& peer);
  // While the server shuts down, departures are not announced.
  void set_quiet(bool quiet) noexcept;

  std::size_t user_count() const;

 private:
  static void reply(Peer& to, const ServerMessage& message);
  static void reply_error(Peer& to, ReplyError error);

  void login(Peer& from, std::string_view name);
  void message(Peer& from, std::string_view text);
  void direct_message(Peer& from, std::string_view to, std::string_view text);
  void who(Peer& from);
  // Runs the moderation filter; false if the message must not be delivered. A
  // rewritten text is kept in `storage` and `text` points to it.
  bool moderate(Peer& from, std::string_view to, std::string_view& text, std::string& storage);
  // Queues `message` for every logged-in user but `except`; call with the lock held.
  void broadcast_locked(const ServerMessage& message, const Peer* except);
  void publish(EventKind kind, const Peer& peer, std::string_view target = {},
               std::string_view text = {});

  EventBus& bus_;
  MessageFilter filter_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, Peer*, std::less<>> users_;  // by ASCII lower-case name: sorted for WHO
  bool quiet_ = false;                                // guarded by mutex_
};

}  // namespace socketchat::detail
