#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hub/delivery.hpp"
#include "hub/directory.hpp"
#include "hub/history_access.hpp"
#include "hub/history_ask.hpp"
#include "hub/kept_list.hpp"
#include "hub/peer.hpp"
#include "hub/stored_run.hpp"
#include "sinks/event_bus.hpp"
#include "socketchat/authenticator.hpp"
#include "socketchat/command.hpp"
#include "socketchat/history_store.hpp"
#include "socketchat/moderation.hpp"
#include "socketchat/options.hpp"
#include "socketchat/server_message.hpp"

namespace socketchat::detail {

class HistoryWriter;

// The commands of chat: who may log in, what each command does, and who hears of it.
// What it knows (users, names, rooms, members) is a Directory's, and messages reach
// their recipients through a Delivery: by default this process's own (LocalDirectory,
// LocalDelivery). It speaks Commands and ServerMessages only; protocols turn those into
// bytes. Files: hub.cpp (dispatch, replies), hub_login.cpp, hub_users.cpp (WHO,
// departures), hub_rooms.cpp, hub_messages.cpp (MSG, DM, SAY), hub_history.cpp,
// hub_lookup.cpp (one user, one room).
//
// Threading: handle() and leave() run on the calling peer's strand; any number run
// at once. The directory and the delivery are called under a reader/writer lock:
// routing takes it shared and only queues output (Peer::send never blocks), changes
// take it exclusively. Sinks, the moderation filter, the authenticator and the history
// store are called without it. A batch the history writer stored is delivered from its
// thread: its messages to one room, or to everyone, together (hub_stored_runs.cpp).
class Hub : private BatchAnswers {
 public:
  explicit Hub(EventBus& bus);  // with this process's directory and delivery
  Hub(EventBus& bus, std::unique_ptr<Directory> directory, std::unique_ptr<Delivery> delivery);
  ~Hub();  // answers an authenticator gives from now on are dropped
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // What the connection does next: read on; close; go on with more messages while
  // this one is made durable (pending); or wait with everything until the Hub has
  // finished the command (a history read, a LOGIN the authenticator answers later).
  // Both pending and wait end in Peer::defer.
  enum class After { stay, close, pending, wait };
  After handle(Peer& from, const Command& command);

  // Logs `peer` in as `name` at once, or says why not; replies nothing, and asks no
  // authenticator (an in-process user is the host's own).
  std::optional<ReplyError> try_login(Peer& peer, std::string_view name);

  // Set before the server starts; called for every MSG, DM and SAY.
  void set_filter(MessageFilter filter) { filter_ = std::move(filter); }
  // Set before the server starts; decides every LOGIN. None: any valid free name.
  void set_authenticator(std::shared_ptr<Authenticator> authenticator) {
    authenticator_ = std::move(authenticator);
  }
  // Set before the server starts. No store: nothing is kept and HISTORY answers END.
  // With a writer, the store is reached through it (group commit, off the I/O threads).
  void set_history(HistoryStore* store, HistoryWriter* writer) { history_.set(store, writer); }
  // What the history writer tells of each batch it answers (made with it).
  BatchAnswers& batch_answers() noexcept { return *this; }

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
  // Messages accepted and not yet written to the history store (HistoryWriter::backlog).
  std::uint64_t history_backlog() { return history_.backlog(); }

  // What another server of a cluster did, applied here (ClusterLink): `change` runs
  // under the Hub's lock, held exclusively to change the directory, shared to deliver.
  template <class Change>
  void exclusively(Change&& change) {
    std::unique_lock lock(mutex_);
    change();
  }
  template <class Deliver>
  void shared(Deliver&& deliver) const {
    std::shared_lock lock(mutex_);
    deliver();
  }
  // A ban or mute another server of a cluster added or lifted (ClusterLink), under the
  // lock held exclusively: kept here too, and enforced on this server's user.
  // `list_entry` is "<scope>\n<user key>".
  void moderated_elsewhere_locked(std::string_view by, bool ban, std::string_view scope,
                                  std::string_view user_key, bool added);
  // A KICK made on another server of a user of this one (ClusterLink), under the lock
  // held exclusively.
  void kicked_elsewhere_locked(std::string_view by, bool by_operator, std::string_view name,
                               std::string_view room_key, std::string_view reason);
  // Ends the connection of this server's user `name`, if here, with `why` as its last
  // words (Notice::banned, Notice::name_taken), as after QUIT; under the lock held
  // exclusively.
  void expel_locked(std::string_view name, Notice why);
  // Every ban and mute there is, as another store keeps them ("<scope>\n<user key>"
  // each), in place of those kept here; under the lock held exclusively.
  void replace_moderation_locked(std::vector<std::string> bans, std::vector<std::string> mutes);

  // The authenticator set so far, for one that wraps it.
  std::shared_ptr<Authenticator> authenticator() const { return authenticator_; }

  // The room limits (max_rooms, max_rooms_per_user) and the size of a list reply
  // (max_reply_bytes, at most a quarter of sendq_bytes): set before the server starts
  // and again when it is reconfigured. Until then: no limits.
  void set_limits(const ServerOptions& options) noexcept;
  // The server's name (server_name_or_default), every user's host in a room ban's mask;
  // set before the server starts.
  void set_server_name(std::string name) { server_name_ = std::move(name); }

  // Work finished through Peer::defer, counted until the end of that defer (where the
  // peer calls end_work()) so that a shutdown can wait for it: from the hand-over to
  // the history writer, or from an authenticator's answer. end_work() is true when it
  // was the last.
  bool end_work() noexcept { return work_.fetch_sub(1, std::memory_order_acq_rel) == 1; }
  std::int64_t work_in_flight() const noexcept { return work_.load(std::memory_order_acquire); }

 private:
  // What an authenticator's late answer needs of the Hub: whether it still is.
  struct AnswerGate {
    explicit AnswerGate(Hub* of) : hub(of) {}
    std::mutex mutex;
    Hub* hub;  // null once the Hub has gone
  };
  template <class Result>
  class PendingAnswer;  // hub_login.cpp

  // try_login's work, with the lock held exclusively.
  std::optional<ReplyError> claim_name_locked(Peer& peer, std::string_view name);
  static void reply(Peer& to, const ServerMessage& message);
  // Refuses the asker's command: counted in its Peer::refusals().
  static void reply_error(Peer& to, ReplyError error);
  // A list (WHO, ROOMS, HISTORY): cut to the size a reply may take, and nothing at all
  // for a connection that is closing.
  void reply_list(Peer& to, ServerMessage message) const;
  // `as`: the user it is from, when not the peer's name now (a message kept earlier).
  void publish(EventKind kind, const Peer& peer, std::string_view target = {},
               std::string_view text = {}, std::string_view as = {});
  // Runs an embedder's callback; what it threw, if it threw.
  template <class Call>
  static std::optional<std::string> failure_of(Call&& call) {
    try {
      call();
    } catch (const std::exception& e) {
      return e.what();
    } catch (...) {
      return "unknown exception";
    }
    return std::nullopt;
  }

  // Starts work that answers through a callback, start(done), and finishes the command
  // with the answer, finish(peer, answer...). When `later` is false the answer comes
  // before start() returns and the command is finished here (After::stay); otherwise
  // on the peer's strand once the answer has come (Peer::defer), and the command
  // returns `waiting`, counted as work in flight from now.
  template <class Start, class Finish>
  After answered(Peer& from, bool later, After waiting, Start start, Finish finish) {
    return answered(
        from, later, waiting, std::move(start), [](Peer&, auto&&...) {}, std::move(finish));
  }
  // The same, but at_once(peer, answer...) runs first, where and when the answer comes
  // (any thread, before done() returns): for what must keep the order answers come in.
  template <class Start, class AtOnce, class Finish>
  After answered(Peer& from, bool later, After waiting, Start start, AtOnce at_once,
                 Finish finish) {
    if (!later) {
      start([&](auto&&... answer) {
        at_once(from, answer...);
        finish(from, answer...);
      });
      return After::stay;
    }
    work_.fetch_add(1, std::memory_order_relaxed);
    // The answer comes from history (HistoryAccess), which the server stops before the
    // Hub goes: `this` outlives it.
    start([this, peer = from.shared_peer(), at_once = std::move(at_once),
           finish = std::move(finish)](auto&&... answer) mutable {
      at_once(*peer, answer...);
      defer_after_run(peer,
                      [peer, finish = std::move(finish), ... answer = std::move(answer)]() mutable {
                        finish(*peer, answer...);
                      });
    });
    return waiting;
  }

  // hub_login.cpp: LOGIN, and with accounts REGISTER and TOKEN <token>
  After login(Peer& from, const Command& command);
  // Now, with the reply and the event; as an account's owner when `account` says so,
  // the name in the OK when `say_name`.
  void log_in(Peer& from, std::string_view name, const LoginResult* account = nullptr,
              bool say_name = false);
  After authenticate(Peer& from, const LoginRequest& request);
  // Asks the authenticator, then finish(hub, peer, answer) on the peer's strand; it fails
  // closed (a refusal) if the authenticator throws. Returns After::wait.
  After ask_authenticator(Peer& from, const LoginRequest& request,
                          std::function<void(Hub&, Peer&, const LoginResult&)> finish);
  void finish_login(Peer& peer, std::string_view asked, const LoginResult& result);
  bool has_accounts() const noexcept {
    return authenticator_ && authenticator_->handles_accounts();
  }

  // hub_moderation.cpp: operators and room operators
  void kick(Peer& from, const Command& command);
  void moderate_user(Peer& from, const Command& command);  // BAN, UNBAN, MUTE, UNMUTE
  void kick_locked(std::string_view by, Peer& target, const std::string& room_key,
                   std::string_view reason);
  static void expel(Peer& target, Notice why);  // expel_locked's work
  // A ban takes effect on the banned user, if it is here: out of the room, or out.
  void enforce_ban_locked(std::string_view by, std::string_view scope, std::string_view name);
  bool may_moderate_locked(const Peer& from, std::string_view scope) const;
  // A room's bans: each entry a name's key or a mask (mode_changes.hpp). Adding one past
  // max_bans is the caller's check. False if nothing changed.
  bool add_ban_locked(std::string_view by, std::string_view scope, std::string_view entry);
  bool lift_ban_locked(std::string_view by, std::string_view scope, std::string_view entry);
  // Whether a ban of the room takes the peer: by its name or a mask of it.
  bool banned_from_room_locked(std::string_view room_key, const Peer& peer) const;
  // What a mask is matched against: "nick!~user@server", lower case.
  std::string mask_subject(const Peer& peer) const;
  std::vector<std::string> room_bans_locked(std::string_view room_key) const;  // sorted
  bool listed_locked(const std::unordered_set<std::string>& list, std::string_view scope,
                     std::string_view user_key) const;
  // Whether `name` is banned from `scope` (a room key, or "*" for the server).
  bool banned_from(std::string_view scope, std::string_view name) const;
  // Refuses (ERR muted) a message from a user muted server-wide or in `room_key`.
  bool silenced(Peer& from, std::string_view room_key);

  // hub_rename.cpp: RENAME (IRC's NICK after registration)
  After rename(Peer& from, std::string_view name);
  void finish_rename(Peer& peer, std::string_view name);
  // A user muted or banned anywhere keeps its name (or a new one would escape it).
  bool moderated_anywhere_locked(const Peer& peer) const;

  // hub_room_modes.cpp: TOPIC, MODE, INVITE, and what a room's modes allow
  void topic(Peer& from, std::string_view room);
  void set_topic(Peer& from, std::string_view room, std::string_view text);
  void mode(Peer& from, std::string_view room, std::string_view text);
  void change_modes(Peer& from, const std::string& room_key, std::string_view text);
  void invite(Peer& from, std::string_view room, std::string_view user);
  // A room operator of the room whose state it is, or an operator.
  bool runs_room_locked(const Peer& from, const RoomState* state) const;
  // Why `from` may not join the room with `key` (a ban, i, k, l), or nothing.
  std::optional<ReplyError> may_join_locked(const Peer& from, const std::string& room_key,
                                            std::string_view key) const;
  // Why `from` may not SAY in the room (n, m), or nothing.
  std::optional<ReplyError> may_say_locked(const Peer& from, const std::string& room_key) const;

  // hub_accounts.cpp: an account owner's PASSWD and TOKEN request
  After account_request(Peer& from, const Command& command);

  // hub_users.cpp
  void who(Peer& from);
  bool stopping() const;  // set_quiet(true)
  // Announces the departures gathered since the last call; call with the lock held
  // exclusively.
  void announce_departures_locked();

  // hub_rooms.cpp
  void who_in_room(Peer& from, std::string_view room);
  // JOIN <room> [key] [SINCE <id>] (since: empty when not given)
  After join(Peer& from, std::string_view room, std::string_view key, std::string_view since);
  // A join the directory finished later (Joined::later), under the lock, exclusive.
  void join_finished_locked(Peer& from, Joined joined, const std::string& room_key);
  void part(Peer& from, std::string_view room, std::string_view reason);
  // Tells the room's members that `from` has left it (with the lock held exclusively).
  void announce_part_locked(Peer& from, std::string_view room_key, std::string_view spelled,
                            std::string_view reason);
  // JOIN 0: out of every room, each PART sent to the asker too.
  void part_all(Peer& from);
  // AWAY [message], and LUSERS's counts. An away message is cut to max_away_bytes.
  static constexpr std::size_t max_away_bytes = 200;
  void set_away(Peer& from, std::string_view message);
  void counts(Peer& from);
  void list_rooms(Peer& from);
  bool is_member(const Peer& peer, std::string_view room_key) const;

  // hub_lookup.cpp: one user or one room, found without a list of them all.
  // What the user online here under `name` said of itself; empty for one elsewhere.
  UserIdentity identity_locked(std::string_view name) const;
  void user_info(Peer& from, std::string_view name);
  void room_info(Peer& from, std::string_view room);

  // hub_messages.cpp
  // MSG, DM and SAY: the command's name, text, kind and label.
  After message(Peer& from, const Command& command);
  After direct_message(Peer& from, const Command& command);
  After say(Peer& from, const Command& command);
  // Without history: whether a message may go out now; if not, `from` is told
  // storage-failed.
  bool may_deliver_unstored(Peer& from);
  // A DM's sender is told when its recipient is away (IRC's 301).
  void tell_if_away(Peer& from, std::string_view to);
  // A MSG, DM or SAY as delivered: from `from`, with its id and stamp (to, room: the caller's).
  static ServerMessage chat_message(Notice notice, const Peer& from, std::string_view text,
                                    MessageKind kind, const KeptAs& kept);
  // `label`: the command's (Command::label); the sender's own copy, if it asked for one,
  // then comes to it as a reply carrying it (labeled_echo).
  void route_message(Peer& from, std::string_view text, MessageKind kind, std::string_view label,
                     KeptAs kept = {});
  void route_direct(Peer& from, std::string_view to, std::string_view text, MessageKind kind,
                    std::string_view label, KeptAs kept = {});
  void route_room(Peer& from, std::string_view room_key, std::string_view text, MessageKind kind,
                  std::string_view label, KeptAs kept = {});
  // Whether `from` gets its own copy of `message` as a labeled reply, not in the broadcast.
  bool labeled_echo(const Peer& from, const ServerMessage& message, std::string_view label) const;
  // Who of a broadcast's recipients does not get it: its sender, unless the sender receives
  // its own messages, in the broadcast (not as a labeled reply). Null: nobody.
  static const Peer* left_out(const Peer& from, bool labeled);
  // Whether a room message comes to its sender as a reply (the lock held): its labeled
  // echo, or the echo of a sender outside the room.
  bool echoed_as_reply_locked(const Peer& from, std::string_view room_key, bool labeled) const;
  // Runs the moderation filter; false if the message must not be delivered. A
  // rewritten text is kept in `storage` and `text` points to it.
  bool moderate(Peer& from, std::string_view to, std::string_view& text, std::string& storage);
  // Keeps the message in history under `scope`, then delivers it, deliver(sender, text):
  // at once, or (After::pending) once the writer has made it durable.
  template <class Deliver>
  After keep_then_deliver(Peer& from, std::string scope, std::string_view text, Deliver deliver);
  // A room's history scope, "#<room key>".
  static std::string room_scope(std::string_view room_key);

  // hub_stored_runs.cpp: the messages of one slice of a batch the history writer stored
  // (BatchAnswers; StoredAnswers runs the slices one at a time, on one thread each)
  void answers_begin() override;
  void answers_end() override;
  // On the answering thread, between those: takes the message into the run being gathered
  // (to the room with `room_key` when to_room, else to everyone), delivering that run first
  // when it is for other recipients, and returns true. False on any other thread, and for
  // a message that goes its own way (a labeled echo), once the run is delivered.
  bool gathered(Peer& from, bool to_room, std::string_view room_key, std::string_view text,
                MessageKind kind, std::string_view label, const KeptAs& kept);
  // The run gathered so far, delivered now if this is the answering thread between those:
  // before anything else it delivers, which must not overtake it.
  void deliver_gathered();
  void deliver_run();
  // Peer::defer, but on the answering thread between those only after the slice's runs
  // are delivered: a command is finished, so its sender may leave and its departure be
  // announced, only once its message is out.
  void defer_after_run(std::shared_ptr<Peer> peer, std::function<void()> task);
  StoredRun run_;  // the answering thread's, between those

  // hub_history.cpp
  After history(Peer& from, const Command& command);
  // Reads what `ask` asks for and answers it (After::wait when the store answers later).
  After read_history(Peer& from, HistoryAsk ask);
  void answer_history(Peer& asker, const HistoryAsk& ask, HistoryPage page);
  // hub_conversations.cpp: HistoryOf::conversations, at most `limit` of them
  After conversations(Peer& from, const Command& command, std::size_t limit);
  // A reference as a command gives it: an id if any (nothing if it does not parse), else
  // a time (0: none).
  static std::optional<HistoryRef> history_ref(std::string_view message_id, std::int64_t ms);
  static constexpr std::size_t max_resume_count = max_history_messages;  // JOIN SINCE's replay

  EventBus& bus_;
  MessageFilter filter_;
  std::shared_ptr<Authenticator> authenticator_;
  HistoryAccess history_{bus_};
  // JOIN SINCE's replays waiting for their joins, decided elsewhere (Joined::later), by
  // the joiner's Peer::id; under mutex_.
  std::unordered_map<std::uint64_t, HistoryAsk> resumes_;
  mutable std::shared_mutex mutex_;
  std::unique_ptr<Directory> directory_;  // guarded by mutex_
  std::unique_ptr<Delivery> delivery_;    // reads the directory: under mutex_ too
  // The last ROOMS and WHO lists, until the rooms or the users change.
  KeptList<RoomSummary> kept_rooms_;
  KeptList<std::string_view> kept_users_;
  KeptList<UserIdentity> kept_identities_;  // of kept_users_, at its version
  bool quiet_ = false;                      // guarded by mutex_
  std::atomic<std::size_t> max_rooms_{0}, max_rooms_per_user_{0}, max_reply_bytes_{0};
  // Bans and mutes: "<scope>\n<user key>", scope "*" or a room key; under mutex_. Their
  // count, readable without the lock, spares every message the lookup while there is none.
  std::unordered_set<std::string> bans_, mutes_;
  std::atomic<std::size_t> moderated_{0};
  std::size_t ban_masks_ = 0;  // how many of bans_ are masks; under mutex_
  std::string server_name_ = "socketchat";
  std::atomic<std::size_t> max_bans_{0};
  std::atomic<std::int64_t> rename_interval_ms_{0};
  std::atomic<std::int64_t> work_{0};
  Scheduler schedule_;
  struct Departure {
    std::string name;
    std::string user_name;  // its identity's (IRC's QUIT shows it)
    std::string reason;     // what its QUIT said
  };
  std::vector<Departure> departed_;  // not yet announced; guarded by mutex_
  // Why a user is away (IRC's AWAY), by user key; guarded by mutex_. A change forgets
  // kept_identities_, which shows it.
  std::unordered_map<std::string, std::string> away_;
  std::atomic<std::size_t> most_users_{0};
  std::shared_ptr<AnswerGate> gate_ = std::make_shared<AnswerGate>(this);
};

}  // namespace socketchat::detail
