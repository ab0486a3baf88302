#include "cluster/cluster_directory.hpp"

#include "hub/peer.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

// An entry's key: a map's, or the name of a user in LocalDirectory's set (sorted as its
// key, ascii_lower, would be).
template <class Value>
std::string_view key_of(const std::pair<const std::string, Value>& entry) noexcept {
  return entry.first;
}
std::string_view key_of(const Peer* peer) noexcept {
  return peer->name();
}

// Walks two maps sorted by the same keys in step: `both` for a key in each, `left` and
// `right` for a key in one only; keys are compared as ascii_lower() would make them (the
// maps' are already). What merges this node's users and rooms with the rest.
template <class Left, class Right, class OnLeft, class OnRight, class OnBoth>
void merge_by_key(const Left& left, const Right& right, OnLeft on_left, OnRight on_right,
                  OnBoth on_both) {
  auto l = left.begin();
  auto r = right.begin();
  while (l != left.end() || r != right.end()) {
    if (r == right.end() || (l != left.end() && iless_ascii(key_of(*l), key_of(*r)))) {
      on_left(*l++);
    } else if (l == left.end() || iless_ascii(key_of(*r), key_of(*l))) {
      on_right(*r++);
    } else {
      on_both(*l++, *r++);
    }
  }
}

}  // namespace

bool ClusterDirectory::claim(Peer& peer, std::string_view name) {
  std::string key = ascii_lower(name);
  // Claimed in Redis for this connection (ClusterAuthenticator): the name is ours, and
  // another node's user under it, if the mirror still shows one, is gone already.
  const bool reserved = claims_.adopt(peer.id(), key);
  auto remote = remote_users_.find(key);
  if (remote != remote_users_.end()) {
    if (!reserved) return false;
    for (const auto& room_key : remote->second.rooms) remove_remote_member(room_key, key);
    remote_users_.erase(remote);
  }
  if (!local_.claim(peer, name)) return false;
  // An in-process user (Server::connect) asks nobody first: Redis hears of it now.
  if (!reserved) changes_.claimed(std::string(name));
  users_version_ = next_list_version();
  return true;
}

bool ClusterDirectory::release(Peer& peer) {
  // A join still waiting for Redis is answered (to nobody: the connection is ending).
  const std::string prefix = join_key(ascii_lower(peer.name()), "");
  for (auto it = pending_joins_.lower_bound(prefix);
       it != pending_joins_.end() && it->first.starts_with(prefix);) {
    auto next = std::next(it);
    if (it->second.peer == &peer) {
      const std::string room_key = it->first.substr(prefix.size());
      finish_join(it, Joined::failed, room_key);
    }
    it = next;
  }
  if (!local_.release(peer)) return false;
  changes_.released(peer.name());  // its rooms go with it, in Redis as here
  users_version_ = next_list_version();
  rooms_version_ = next_list_version();
  return true;
}

std::string_view ClusterDirectory::find_user(std::string_view name) const {
  if (auto here = local_.find_user(name); !here.empty()) return here;
  auto it = remote_users_.find(ascii_lower(name));
  return it == remote_users_.end() ? std::string_view{} : std::string_view(it->second.name);
}

std::string_view ClusterDirectory::node_of(std::string_view name) const {
  auto it = remote_users_.find(ascii_lower(name));
  return it == remote_users_.end() ? std::string_view{} : std::string_view(it->second.node);
}

void ClusterDirectory::list_users(std::vector<std::string_view>& names) const {
  names.reserve(names.size() + user_count());
  merge_by_key(
      local_.users(), remote_users_, [&](const Peer* here) { names.push_back(here->name()); },
      [&](const auto& there) { names.push_back(there.second.name); },
      [&](const Peer* here, const auto&) { names.push_back(here->name()); });
}

std::string ClusterDirectory::join_key(std::string_view user_key, std::string_view room_key) {
  std::string key(user_key);
  key.push_back('\t');
  key.append(room_key);
  return key;
}

Joined ClusterDirectory::join(Peer& peer, std::string_view room, const std::string& room_key,
                              RoomLimits limits) {
  if (local_.is_member(peer, room_key)) return Joined::already_in;
  std::string user_key = ascii_lower(peer.name());
  auto [it, added] = pending_joins_.try_emplace(join_key(user_key, room_key));
  if (!added) return Joined::already_in;  // asked already: one answer
  it->second = {&peer, limits, ClusterClaims::Clock::now()};
  changes_.joined(user_key, room_key, std::string(room));
  return Joined::later;
}

bool ClusterDirectory::confirm_join(std::string_view name, std::string_view room) {
  const std::string room_key = ascii_lower(room);
  auto it = pending_joins_.find(join_key(ascii_lower(name), room_key));
  if (it == pending_joins_.end()) {
    // A join answered already (it failed while Redis was away) that Redis made after
    // all: undone there, so that Redis and this node agree.
    Peer* peer = local_.find_peer(name);
    if (peer && !local_.is_member(*peer, room_key)) changes_.parted(ascii_lower(name), room_key);
    return false;
  }
  const Joined joined = local_.join(*it->second.peer, room, room_key, it->second.limits);
  if (joined == Joined::ok) {
    rooms_version_ = next_list_version();
  } else {  // a limit here says no after all: Redis forgets it too
    changes_.parted(ascii_lower(name), room_key);
  }
  finish_join(it, joined, room_key);
  return true;
}

void ClusterDirectory::fail_join(const std::string& user_key, const std::string& room_key) {
  auto it = pending_joins_.find(join_key(user_key, room_key));
  if (it != pending_joins_.end()) finish_join(it, Joined::failed, room_key);
}

void ClusterDirectory::fail_joins_before(ClusterClaims::Clock::time_point cutoff) {
  for (auto it = pending_joins_.begin(); it != pending_joins_.end();) {
    auto next = std::next(it);
    if (it->second.since < cutoff) {
      const std::string room_key = it->first.substr(it->first.find('\t') + 1);
      finish_join(it, Joined::failed, room_key);
    }
    it = next;
  }
}

void ClusterDirectory::finish_join(std::map<std::string, PendingJoin, std::less<>>::iterator it,
                                   Joined joined, std::string_view room_key) {
  Peer& peer = *it->second.peer;
  const std::string key(room_key);
  pending_joins_.erase(it);
  if (join_finished_) join_finished_(peer, joined, key);
}

bool ClusterDirectory::part(Peer& peer, std::string_view room_key) {
  if (!local_.part(peer, room_key)) return false;
  changes_.parted(ascii_lower(peer.name()), std::string(room_key));
  rooms_version_ = next_list_version();
  return true;
}

bool ClusterDirectory::kick_elsewhere(std::string_view by, bool by_operator, std::string_view name,
                                      std::string_view room_key, std::string_view reason) {
  const std::string user_key = ascii_lower(name);
  auto room = remote_rooms_.find(room_key);
  auto user = remote_users_.find(user_key);
  if (room == remote_rooms_.end() || user == remote_users_.end() ||
      !room->second.members.contains(user_key)) {
    return false;
  }
  changes_.kick(user->second.node, by, by_operator, user->second.name, room_key, reason);
  return true;
}

std::string_view ClusterDirectory::room_name(std::string_view room_key) const {
  if (auto here = local_.room_name(room_key); !here.empty()) return here;
  auto it = remote_rooms_.find(room_key);
  return it == remote_rooms_.end() ? std::string_view{} : std::string_view(it->second.name);
}

std::size_t ClusterDirectory::member_count(std::string_view room_key) const {
  auto it = remote_rooms_.find(room_key);
  return local_.member_count(room_key) +
         (it == remote_rooms_.end() ? 0 : it->second.members.size());
}

std::vector<std::string> ClusterDirectory::remote_names() const {
  std::vector<std::string> names;
  names.reserve(remote_users_.size());
  for (const auto& [key, user] : remote_users_) names.push_back(user.name);
  return names;
}

bool ClusterDirectory::list_members(std::string_view room_key,
                                    std::vector<std::string_view>& names) const {
  const auto* here = local_.find_room(room_key);
  auto there = remote_rooms_.find(room_key);
  if (!here && there == remote_rooms_.end()) return false;
  static const RoomDirectory::Members no_members;
  static const std::map<std::string, std::string, std::less<>> no_names;
  merge_by_key(
      here ? here->members : no_members,
      there == remote_rooms_.end() ? no_names : there->second.members,
      [&](const auto& member) { names.push_back(member.second->name()); },
      [&](const auto& member) { names.push_back(member.second); },
      [&](const auto& member, const auto&) { names.push_back(member.second->name()); });
  return true;
}

void ClusterDirectory::list_rooms(std::vector<RoomSummary>& rooms) const {
  merge_by_key(
      local_.rooms(), remote_rooms_,
      [&](const auto& here) {
        rooms.push_back({here.second.name, here.second.members.size(), here.second.state.topic});
      },
      [&](const auto& there) {
        rooms.push_back({there.second.name, there.second.members.size()});
      },
      [&](const auto& here, const auto& there) {
        rooms.push_back({here.second.name, here.second.members.size() + there.second.members.size(),
                         here.second.state.topic});
      });
}

bool ClusterDirectory::apply_arrived(std::string_view node, std::string_view name) {
  std::string key = ascii_lower(name);
  if (local_.find_peer(key)) return false;  // ours: Redis gave it to us later
  auto& user = remote_users_[std::move(key)];
  if (user.node == node && user.name == name) return false;
  user.name = std::string(name);
  user.node = std::string(node);
  users_version_ = next_list_version();
  return true;
}

ClusterDirectory::RemoteUsers::iterator ClusterDirectory::remote_of(std::string_view node,
                                                                    std::string_view name) {
  auto it = remote_users_.find(ascii_lower(name));
  return it != remote_users_.end() && it->second.node == node ? it : remote_users_.end();
}

bool ClusterDirectory::apply_departed(std::string_view node, std::string_view name) {
  auto it = remote_of(node, name);
  if (it == remote_users_.end()) return false;
  for (const auto& room_key : it->second.rooms) remove_remote_member(room_key, it->first);
  remote_users_.erase(it);
  users_version_ = next_list_version();
  rooms_version_ = next_list_version();
  return true;
}

bool ClusterDirectory::apply_joined(std::string_view node, std::string_view name,
                                    std::string_view room) {
  auto user = remote_of(node, name);
  if (user == remote_users_.end()) return false;
  std::string room_key = ascii_lower(room);
  auto& entry = remote_rooms_[room_key];
  if (entry.name.empty()) entry.name = std::string(room);
  if (!entry.members.try_emplace(user->first, user->second.name).second) return false;
  user->second.rooms.push_back(std::move(room_key));
  rooms_version_ = next_list_version();
  return true;
}

bool ClusterDirectory::apply_parted(std::string_view node, std::string_view name,
                                    std::string_view room) {
  auto user = remote_of(node, name);
  if (user == remote_users_.end()) return false;
  const std::string room_key = ascii_lower(room);
  auto& rooms = user->second.rooms;
  if (std::erase(rooms, room_key) == 0) return false;
  remove_remote_member(room_key, user->first);
  rooms_version_ = next_list_version();
  return true;
}

void ClusterDirectory::forget_remote() {
  remote_users_.clear();
  remote_rooms_.clear();
  users_version_ = next_list_version();
  rooms_version_ = next_list_version();
}

void ClusterDirectory::remove_remote_member(const std::string& room_key,
                                            const std::string& user_key) {
  auto it = remote_rooms_.find(room_key);
  if (it == remote_rooms_.end()) return;
  it->second.members.erase(user_key);
  if (it->second.members.empty()) remote_rooms_.erase(it);
}

}  // namespace socketchat::detail
