#include "hub/room_directory.hpp"

#include "hub/peer.hpp"

#include <algorithm>
#include <chrono>

namespace socketchat::detail {

const RoomDirectory::Room* RoomDirectory::find(std::string_view room_key) const {
  auto it = rooms_.find(room_key);
  return it == rooms_.end() ? nullptr : &it->second;
}

const RoomState* RoomDirectory::state(std::string_view room_key) const {
  const Room* room = find(room_key);
  return room ? &room->state : nullptr;
}

RoomState* RoomDirectory::state_to_change(std::string_view room_key) {
  auto it = rooms_.find(room_key);
  if (it == rooms_.end()) return nullptr;
  version_ = next_list_version();
  return &it->second.state;
}

Joined RoomDirectory::join(std::string_view room_name, const std::string& room_key,
                           const std::string& user_key, Peer* peer, RoomLimits limits) {
  auto room = rooms_.find(room_key);
  if (room != rooms_.end() && room->second.members.contains(user_key)) return Joined::already_in;
  if (limits.rooms_per_user != 0) {
    auto mine = joined_.find(peer);
    if (mine != joined_.end() && mine->second.size() >= limits.rooms_per_user) {
      return Joined::too_many_for_user;
    }
  }
  if (room == rooms_.end()) {
    if (limits.rooms != 0 && rooms_.size() >= limits.rooms) return Joined::too_many_rooms;
    room = rooms_.try_emplace(room_key).first;
    room->second.name = std::string(room_name);
    room->second.state.operators.push_back(user_key);
    room->second.state.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
  }
  room->second.members.try_emplace(user_key, peer);
  joined_[peer].push_back(room_key);
  version_ = next_list_version();
  return Joined::ok;
}

bool RoomDirectory::part(std::string_view room_key, const std::string& user_key, Peer* peer) {
  auto it = rooms_.find(room_key);
  if (it == rooms_.end() || it->second.members.erase(user_key) == 0) return false;
  it->second.state.forget_member(user_key);
  if (it->second.members.empty()) rooms_.erase(it);
  auto& keys = joined_[peer];
  std::erase(keys, room_key);
  if (keys.empty()) joined_.erase(peer);
  version_ = next_list_version();
  return true;
}

void RoomDirectory::rooms_of(const Peer& peer, std::vector<std::string>& room_keys) const {
  if (auto mine = joined_.find(&peer); mine != joined_.end()) {
    room_keys.insert(room_keys.end(), mine->second.begin(), mine->second.end());
  }
}

void RoomDirectory::rename_member(const Peer& peer, const std::string& old_key,
                                  const std::string& new_key) {
  auto mine = joined_.find(&peer);
  if (mine == joined_.end()) return;
  for (const auto& room_key : mine->second) {
    auto it = rooms_.find(room_key);
    if (it == rooms_.end()) continue;
    auto member = it->second.members.extract(old_key);
    if (member.empty()) continue;
    member.key() = new_key;
    it->second.members.insert(std::move(member));
    it->second.state.rename_member(old_key, new_key);
  }
  version_ = next_list_version();
}

void RoomDirectory::part_all(const std::string& user_key, Peer* peer) {
  auto mine = joined_.find(peer);
  if (mine == joined_.end()) return;
  for (const auto& room_key : mine->second) {
    auto it = rooms_.find(room_key);
    if (it == rooms_.end()) continue;
    it->second.members.erase(user_key);
    it->second.state.forget_member(user_key);
    if (it->second.members.empty()) rooms_.erase(it);
  }
  joined_.erase(mine);
  version_ = next_list_version();
}

}  // namespace socketchat::detail
