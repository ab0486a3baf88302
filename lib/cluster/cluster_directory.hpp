#pragma once

#include <map>
#include <string>
#include <vector>

#include "cluster/cluster_claims.hpp"
#include "hub/local_directory.hpp"

namespace socketchat::detail {

// What ClusterDirectory tells Redis of its own users' changes (ClusterLink does, later,
// off the caller's thread: every call only queues).
class ClusterChanges {
 public:
  virtual ~ClusterChanges() = default;
  virtual void claimed(const std::string& name) = 0;  // not claimed before (in-process)
  virtual void released(const std::string& name) = 0;
  virtual void joined(const std::string& user_key, const std::string& room_key,
                      const std::string& room) = 0;
  virtual void parted(const std::string& user_key, const std::string& room_key) = 0;
  virtual void moderated(std::string_view by, bool ban, std::string_view scope,
                         std::string_view user_key, bool added) = 0;
  // A KICK for the user `name` of node `node`.
  virtual void kick(std::string_view node, std::string_view by, bool by_operator,
                    std::string_view name, std::string_view room_key, std::string_view reason) = 0;
};

// The Directory of a cluster's node (docs/CLUSTER.md, Inside the node): this node's
// users and rooms in a LocalDirectory, and a mirror of every other node's, kept
// current by the events the link hears on Redis (apply_*, called under the Hub's lock
// held exclusively). Lists, counts and lookups see both; only this node's users have
// a Peer. Its own users' changes are told to Redis through ClusterChanges.
class ClusterDirectory final : public Directory {
 public:
  ClusterDirectory(ClusterClaims& claims, ClusterChanges& changes)
      : claims_(claims), changes_(changes) {}

  bool claim(Peer& peer, std::string_view name) override;
  bool release(Peer& peer) override;
  std::string_view find_user(std::string_view name) const override;
  Peer* find_peer(std::string_view name) const override { return local_.find_peer(name); }
  std::size_t user_count() const override { return local_.user_count() + remote_users_.size(); }
  void list_users(std::vector<std::string_view>& names) const override;
  std::uint64_t users_version() const override { return users_version_; }

  // Later: the join holds once Redis has it and this node has heard it back, after
  // every change Redis made before it (confirm_join), so that the joiner hears of every
  // member and message after its join, and of none before.
  Joined join(Peer& peer, std::string_view room, const std::string& room_key,
              RoomLimits limits) override;
  void on_join_finished(JoinFinished finished) override { join_finished_ = std::move(finished); }
  bool part(Peer& peer, std::string_view room_key) override;
  void moderated(std::string_view by, bool ban, std::string_view scope, std::string_view user_key,
                 bool added) override {
    changes_.moderated(by, ban, scope, user_key, added);
  }
  bool kick_elsewhere(std::string_view by, bool by_operator, std::string_view name,
                      std::string_view room_key, std::string_view reason) override;
  std::string_view room_name(std::string_view room_key) const override;
  // A room's operators, modes and topic are each server's own (CLUSTER.md).
  const RoomState* room_state(std::string_view room_key) const override {
    return local_.room_state(room_key);
  }
  RoomState* room_state_to_change(std::string_view room_key) override {
    rooms_version_ = next_list_version();  // the topic may change, shown by ROOMS
    return local_.room_state_to_change(room_key);
  }
  bool is_member(const Peer& peer, std::string_view room_key) const override {
    return local_.is_member(peer, room_key);
  }
  // Names are claimed in Redis, across the cluster: not renamed (yet).
  bool rename(Peer&, std::string_view) override { return false; }
  bool renames() const noexcept override { return false; }
  void rooms_of(const Peer& peer, std::vector<std::string>& room_keys) const override {
    local_.rooms_of(peer, room_keys);
  }
  std::size_t member_count(std::string_view room_key) const override;
  bool list_members(std::string_view room_key, std::vector<std::string_view>& names) const override;
  void list_rooms(std::vector<RoomSummary>& rooms) const override;
  std::uint64_t rooms_version() const override { return rooms_version_; }

  // This node's part, for its LocalDelivery.
  const LocalDirectory& local() const noexcept { return local_; }
  // The node of the user `name` elsewhere; empty if it is not another node's.
  std::string_view node_of(std::string_view name) const;
  // The names of every other node's users.
  std::vector<std::string> remote_names() const;

  // ---- what other nodes did (under the Hub's lock, exclusive); false: nothing changed
  bool apply_arrived(std::string_view node, std::string_view name);
  bool apply_departed(std::string_view node, std::string_view name);
  // The room as spelled by the event; what changed is told by the return.
  bool apply_joined(std::string_view node, std::string_view name, std::string_view room);
  bool apply_parted(std::string_view node, std::string_view name, std::string_view room);
  // Forgets every other node's users and rooms (before a snapshot is applied).
  void forget_remote();

  // ---- this node's joins, as Redis answers them (under the Hub's lock, exclusive)
  // Redis has made the join (its event came back): the user is in the room, as Redis
  // spells it. False if no join was waiting for it.
  bool confirm_join(std::string_view name, std::string_view room);
  // Redis could not make it.
  void fail_join(const std::string& user_key, const std::string& room_key);
  // Fails the joins that have waited since before `cutoff`.
  void fail_joins_before(ClusterClaims::Clock::time_point cutoff);

 private:
  struct RemoteUser {
    std::string name;
    std::string node;
    std::vector<std::string> rooms;  // keys
  };
  struct RemoteRoom {
    std::string name;
    std::map<std::string, std::string, std::less<>> members;  // user key -> name
  };
  void remove_remote_member(const std::string& room_key, const std::string& user_key);
  struct PendingJoin {
    Peer* peer;
    RoomLimits limits;
    ClusterClaims::Clock::time_point since;
  };
  static std::string join_key(std::string_view user_key, std::string_view room_key);
  void finish_join(std::map<std::string, PendingJoin, std::less<>>::iterator it, Joined joined,
                   std::string_view room_key);

  ClusterClaims& claims_;
  ClusterChanges& changes_;
  LocalDirectory local_;
  using RemoteUsers = std::map<std::string, RemoteUser, std::less<>>;
  // The user `name` if it is node `node`'s; end() if not.
  RemoteUsers::iterator remote_of(std::string_view node, std::string_view name);

  RemoteUsers remote_users_;
  std::map<std::string, RemoteRoom, std::less<>> remote_rooms_;
  std::map<std::string, PendingJoin, std::less<>> pending_joins_;  // by join_key
  JoinFinished join_finished_;
  std::uint64_t users_version_ = next_list_version();
  std::uint64_t rooms_version_ = next_list_version();
};

}  // namespace socketchat::detail
