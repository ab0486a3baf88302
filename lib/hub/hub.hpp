#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "hub/kept_list.hpp"
#include "hub/peer.hpp"
#include "hub/room_directory.hpp"
#include "sinks/event_bus.hpp"
#include "socketchat/command.hpp"
#include "socketchat/history_store.hpp"
#include "socketchat/moderation.hpp"
#include "socketchat/options.hpp"
#include "socketchat/server_message.hpp"
#include "store/history_clock.hpp"

namespace socketchat::detail {

class HistoryWriter;

// The shared state of chat: who is logged in, which rooms exist, and where each
// message goes. It speaks Commands and ServerMessages only; protocols turn those
// into bytes. Files: hub.cpp (commands, users), hub_rooms.cpp, hub_messages.cpp,
// hub_lookup.cpp.
//
// Threading: handle() and leave() run on the calling peer's strand; any number run
// at once. The tables are guarded by a reader/writer lock: routing takes it shared
// and only queues output (Peer::send never blocks), changes take it exclusively.
// Sinks, the moderation filter and the history store are called without it.
class Hub {
 public:
  explicit Hub(EventBus& bus) : bus_(bus) {}

  // What the connection does next: read on; close; go on with more messages while
  // this one is made durable (pending); or wait with everything until the Hub has
  // finished the command (a history read). Both pending and wait end in Peer::defer.
  enum class After { stay, close, pending, wait };
  After handle(Peer& from, const Command& command);

  // Logs `peer` in as `name`, or says why not; replies nothing (handle() does).
  std::optional<ReplyError> try_login(Peer& peer, std::string_view name);

  // Set before the server starts; called for every MSG, DM and SAY.
  void set_filter(MessageFilter filter) { filter_ = std::move(filter); }
  // Set before the server starts. No store: nothing is kept and HISTORY answers END.
  // With a writer, the store is reached through it (group commit, off the I/O threads).
  void set_history(HistoryStore* store, HistoryWriter* writer) {
    store_ = store;
    writer_ = writer;
  }

  // The peer's connection is ending: free its name, leave its rooms, and tell
  // everyone, once.
  void leave(Peer& peer);
  // While the server shuts down, departures are not announced.
  void set_quiet(bool quiet) noexcept;

  // How the Hub runs work a little later, off the caller's stack (the server posts it
  // to an I/O thread). Departures are announced that way, several in one line batch:
  // when many users leave at once, each remaining user gets one write for all of them
  // instead of one per departure. Without a scheduler each is announced at once.
  using Scheduler = std::function<void(std::function<void()>)>;
  void set_scheduler(Scheduler scheduler) { schedule_ = std::move(scheduler); }

  std::size_t user_count() const;

  // The room limits (max_rooms, max_rooms_per_user) and the size of a list reply
  // (max_reply_bytes, at most a quarter of sendq_bytes): set before the server starts
  // and again when it is reconfigured. Until then: no limits.
  void set_limits(const ServerOptions& options) noexcept;

  // Work handed to the history writer, counted from the hand-over to the end of the
  // Peer::defer that finishes it (where the peer calls end_work()), so a shutdown can
  // wait for it. end_work() is true when it was the last.
  bool end_work() noexcept { return work_.fetch_sub(1, std::memory_order_acq_rel) == 1; }
  std::int64_t work_in_flight() const noexcept { return work_.load(std::memory_order_acquire); }

 private:
  using Delivery = std::function<void(Peer& from, const HistoryRecord& record)>;

  static void reply(Peer& to, const ServerMessage& message);
  // Refuses the asker's command: counted in its Peer::refusals().
  static void reply_error(Peer& to, ReplyError error);
  // A list (WHO, ROOMS, HISTORY): cut to the size a reply may take, and nothing at all
  // for a connection that is closing.
  void reply_list(Peer& to, ServerMessage message) const;

  // hub.cpp
  void login(Peer& from, std::string_view name);
  void who(Peer& from);
  void broadcast_locked(const ServerMessage& message, const Peer* except);
  // Announces the departures gathered since the last call; call with the lock held
  // exclusively.
  void announce_departures_locked();
  void publish(EventKind kind, const Peer& peer, std::string_view target = {},
               std::string_view text = {});

  // hub_rooms.cpp
  void who_in_room(Peer& from, std::string_view room);
  void join(Peer& from, std::string_view room);
  void part(Peer& from, std::string_view room);
  void list_rooms(Peer& from);
  void broadcast_room_locked(const RoomDirectory::Room& room, const ServerMessage& message,
                             const Peer* except);
  bool is_member(const Peer& peer, std::string_view room_key) const;

  // hub_lookup.cpp: one user or one room, found without a list of them all.
  void user_info(Peer& from, std::string_view name);
  void room_info(Peer& from, std::string_view room);

  // hub_messages.cpp
  After message(Peer& from, std::string_view text);
  After direct_message(Peer& from, std::string_view to, std::string_view text);
  After say(Peer& from, std::string_view room, std::string_view text);
  After history(Peer& from, std::string_view target, std::string_view count);
  // A LOGIN's time on the clock that stamps history (HistoryClock::mark).
  std::int64_t history_mark();
  void route_message(Peer& from, std::string_view text);
  void route_direct(Peer& from, std::string_view to, std::string_view text);
  void route_room(Peer& from, std::string_view room_key, std::string_view text);
  // Runs the moderation filter; false if the message must not be delivered. A
  // rewritten text is kept in `storage` and `text` points to it.
  bool moderate(Peer& from, std::string_view to, std::string_view& text, std::string& storage);
  // Keeps the record in history, then delivers: at once, or (After::wait) once the
  // record is durable. Without history it just delivers.
  After store_then_deliver(Peer& from, HistoryRecord record, Delivery deliver);

  EventBus& bus_;
  MessageFilter filter_;
  HistoryStore* store_ = nullptr;
  HistoryWriter* writer_ = nullptr;
  std::mutex inline_mutex_;  // stamps and appends to a non-blocking store in one order
  HistoryClock inline_clock_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, Peer*, std::less<>> users_;    // by ASCII lower-case name: sorted for WHO
  std::uint64_t users_version_ = next_list_version();  // of users_, for WHO's encoding
  RoomDirectory rooms_;
  // The last ROOMS and WHO lists, until the rooms or the users change.
  KeptList<RoomSummary> kept_rooms_;
  KeptList<std::string_view> kept_users_;
  bool quiet_ = false;  // guarded by mutex_
  std::atomic<std::size_t> max_rooms_{0}, max_rooms_per_user_{0}, max_reply_bytes_{0};
  std::atomic<std::int64_t> work_{0};
  Scheduler schedule_;
  std::vector<std::string> departed_;  // not yet announced; guarded by mutex_
};

}  // namespace socketchat::detail
