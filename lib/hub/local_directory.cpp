#include "hub/local_directory.hpp"

#include "hub/peer.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

bool LocalDirectory::claim(Peer& peer, std::string_view name) {
  if (peer.name() != name || !users_.insert(&peer).second) return false;
  users_version_ = next_list_version();
  return true;
}

bool LocalDirectory::release(Peer& peer) {
  auto it = users_.find(&peer);
  if (it == users_.end() || *it != &peer) return false;
  rooms_.part_all(ascii_lower(peer.name()), &peer);
  users_.erase(it);
  users_version_ = next_list_version();
  return true;
}

bool LocalDirectory::rename(Peer& peer, std::string_view name) {
  auto it = users_.find(&peer);
  if (it == users_.end() || *it != &peer) return false;  // not this peer's name
  if (!iequals_ascii(name, peer.name())) {
    if (users_.contains(name)) return false;
    const std::string old_key = ascii_lower(peer.name()), new_key = ascii_lower(name);
    auto node = users_.extract(it);
    peer.name_ = std::string(name);  // out of the set: its place follows the name
    users_.insert(std::move(node));
    rooms_.rename_member(peer, old_key, new_key);
  }
  users_version_ = next_list_version();  // lists show the new spelling
  return true;
}

Peer* LocalDirectory::find_peer(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : *it;
}

std::string_view LocalDirectory::find_user(std::string_view name) const {
  const Peer* peer = find_peer(name);
  return peer ? std::string_view(peer->name()) : std::string_view{};
}

void LocalDirectory::list_users(std::vector<std::string_view>& names) const {
  names.reserve(names.size() + users_.size());
  for (const Peer* peer : users_) names.push_back(peer->name());
}

Joined LocalDirectory::join(Peer& peer, std::string_view room, const std::string& room_key,
                            RoomLimits limits) {
  return rooms_.join(room, room_key, ascii_lower(peer.name()), &peer, limits);
}

bool LocalDirectory::part(Peer& peer, std::string_view room_key) {
  return rooms_.part(room_key, ascii_lower(peer.name()), &peer);
}

std::string_view LocalDirectory::room_name(std::string_view room_key) const {
  const auto* room = rooms_.find(room_key);
  return room ? std::string_view(room->name) : std::string_view{};
}

std::size_t LocalDirectory::member_count(std::string_view room_key) const {
  const auto* room = rooms_.find(room_key);
  return room ? room->members.size() : 0;
}

bool LocalDirectory::is_member(const Peer& peer, std::string_view room_key) const {
  const auto* room = rooms_.find(room_key);
  return room && room->members.contains(ascii_lower(peer.name()));
}

bool LocalDirectory::list_members(std::string_view room_key,
                                  std::vector<std::string_view>& names) const {
  const auto* room = rooms_.find(room_key);
  if (!room) return false;
  names.reserve(names.size() + room->members.size());
  for (const auto& [key, peer] : room->members) names.push_back(peer->name());
  return true;
}

void LocalDirectory::list_rooms(std::vector<RoomSummary>& rooms) const {
  rooms.reserve(rooms.size() + rooms_.rooms().size());
  for (const auto& [key, room] : rooms_.rooms())
    rooms.push_back({room.name, room.members.size(), room.state.topic});
}

}  // namespace socketchat::detail
