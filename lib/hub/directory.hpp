#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hub/room_state.hpp"
#include "socketchat/server_message.hpp"

namespace socketchat::detail {

class Peer;

// A new list version, never handed out before in this process (so no two states of any
// two directories share one): what a list cache is keyed by (ServerMessage::list_version).
inline std::uint64_t next_list_version() noexcept {
  static std::atomic<std::uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

// How many rooms may exist, and how many one user may be in; 0 = no limit.
struct RoomLimits {
  std::size_t rooms = 0;
  std::size_t rooms_per_user = 0;
};

// later: a directory shared with other servers asks them first (ClusterDirectory) and
// tells the Hub how it went through its JoinFinished, later. failed: it could not ask.
enum class Joined { ok, already_in, too_many_for_user, too_many_rooms, later, failed };

// Who is online, which name is whose, which rooms exist and who is in each: the state
// the Hub's commands read and change. LocalDirectory keeps it in this process; another
// implementation (shared by several servers) is another class behind this one.
//
// Names are unique without regard to ASCII case; a room is found by its key, its ASCII
// lower-case name, and shown as spelled by the JOIN that created it. Lists come in the
// protocol's order (by lower-case name).
//
// Threading: every call is made under the Hub's lock, shared for the const ones and
// exclusive for the others, so an implementation needs no lock of its own for what the
// Hub reads, and must never block (one backed by a remote store keeps what is read
// here in memory). Views it returns are valid while that lock is held.
class Directory {
 public:
  virtual ~Directory() = default;

  // ---- users

  // Gives `name` to `peer`, whose name the Hub has set to it already (and clears if
  // this refuses); false if another user has it.
  virtual bool claim(Peer& peer, std::string_view name) = 0;
  // Frees the peer's name and takes it out of every room, silently; false if the peer
  // holds no name here.
  virtual bool release(Peer& peer) = 0;
  // Gives the peer `name` in place of its own (it stays in its rooms); false if another
  // user has it. The Hub then sets the peer's name (if the directory has not: the local
  // one does, as it keeps its users by name). A change of case only is always fine.
  virtual bool rename(Peer& peer, std::string_view name) = 0;
  // Whether rename() may be called (a cluster's names are claimed in Redis: not yet).
  virtual bool renames() const noexcept { return true; }
  // The name as its user spelled it at LOGIN; empty if nobody has it.
  virtual std::string_view find_user(std::string_view name) const = 0;
  // The connection of the user online under `name` here; null if none.
  virtual Peer* find_peer(std::string_view name) const = 0;
  virtual std::size_t user_count() const = 0;
  // Every user's name (presence, for WHO), and the version of that list: it changes
  // (next_list_version) with every claim and release, so a list made at one version
  // holds as long as the version does.
  virtual void list_users(std::vector<std::string_view>& names) const = 0;
  virtual std::uint64_t users_version() const = 0;

  // Told of every ban and mute added or lifted here (the lists are the Hub's), under
  // the Hub's lock held exclusively: a directory shared with other servers tells them.
  // `ban`: a ban, else a mute; `scope`: "*" or a room key.
  virtual void moderated(std::string_view by, bool ban, std::string_view scope,
                         std::string_view user_key, bool added) {
    (void)by, (void)ban, (void)scope, (void)user_key, (void)added;
  }

  // A KICK of `name`, not this server's user, from the room `room_key` by `by`: true if
  // it is a member on another server, which is then asked to kick it (ClusterDirectory);
  // false, the default: no such member.
  virtual bool kick_elsewhere(std::string_view by, bool by_operator, std::string_view name,
                              std::string_view room_key, std::string_view reason) {
    (void)by, (void)by_operator, (void)name, (void)room_key, (void)reason;
    return false;
  }

  // ---- rooms

  // Puts the peer in the room (`room` as spelled, `room_key` its key), creating it if
  // need be, unless it is in it already or a limit says no (checked in that order: the
  // user's, then the server's for a new room).
  virtual Joined join(Peer& peer, std::string_view room, const std::string& room_key,
                      RoomLimits limits) = 0;
  // For a join that answered Joined::later: called once, under the Hub's lock held
  // exclusively, from any thread, with how it went (the peer is then in the room if ok).
  using JoinFinished = std::function<void(Peer& peer, Joined joined, const std::string& room_key)>;
  virtual void on_join_finished(JoinFinished finished) { (void)finished; }
  // False if the peer was not in the room. An emptied room is removed.
  virtual bool part(Peer& peer, std::string_view room_key) = 0;
  // The room's name as spelled; empty if there is no such room.
  virtual std::string_view room_name(std::string_view room_key) const = 0;
  // The room's operators, modes, topic and invitations as this server keeps them; null
  // if it has no such room (a cluster's room of other servers' members only). To read
  // under the lock held shared; to change them (held exclusively) room_state_to_change,
  // which also changes rooms_version (ROOMS shows the topic).
  virtual const RoomState* room_state(std::string_view room_key) const = 0;
  virtual RoomState* room_state_to_change(std::string_view room_key) = 0;
  virtual bool is_member(const Peer& peer, std::string_view room_key) const = 0;
  // The keys of the rooms the peer is in.
  virtual void rooms_of(const Peer& peer, std::vector<std::string>& room_keys) const = 0;
  // How many are in the room; 0 if there is no such room (an emptied room is removed).
  virtual std::size_t member_count(std::string_view room_key) const = 0;
  // The members' names; false if there is no such room.
  virtual bool list_members(std::string_view room_key,
                            std::vector<std::string_view>& names) const = 0;
  // Every room with its member count, and the version of that list (as users_version).
  virtual void list_rooms(std::vector<RoomSummary>& rooms) const = 0;
  virtual std::uint64_t rooms_version() const = 0;
};

}  // namespace socketchat::detail
