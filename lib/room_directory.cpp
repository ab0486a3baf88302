#include "detail/room_directory.hpp"

#include <algorithm>

namespace socketchat::detail {

const RoomDirectory::Room* RoomDirectory::find(std::string_view room_key) const {
  auto it = rooms_.find(room_key);
  return it == rooms_.end() ? nullptr : &it->second;
}

bool RoomDirectory::join(std::string_view room_name, const std::string& room_key,
                         const std::string& user_key, Peer* peer) {
  auto [it, created] = rooms_.try_emplace(room_key);
  if (created) it->second.name = std::string(room_name);
  if (!it->second.members.try_emplace(user_key, peer).second) return false;
  joined_[peer].push_back(room_key);
  return true;
}

bool RoomDirectory::part(std::string_view room_key, const std::string& user_key, Peer* peer) {
  auto it = rooms_.find(room_key);
  if (it == rooms_.end() || it->second.members.erase(user_key) == 0) return false;
  if (it->second.members.empty()) rooms_.erase(it);
  auto& keys = joined_[peer];
  std::erase(keys, room_key);
  if (keys.empty()) joined_.erase(peer);
  return true;
}

void RoomDirectory::part_all(const std::string& user_key, Peer* peer) {
  auto mine = joined_.find(peer);
  if (mine == joined_.end()) return;
  for (const auto& room_key : mine->second) {
    auto it = rooms_.find(room_key);
    if (it == rooms_.end()) continue;
    it->second.members.erase(user_key);
    if (it->second.members.empty()) rooms_.erase(it);
  }
  joined_.erase(mine);
}

}  // namespace socketchat::detail
