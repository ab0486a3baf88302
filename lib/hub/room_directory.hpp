#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hub/directory.hpp"

namespace socketchat::detail {

class Peer;

// LocalDirectory's rooms: which exist and who is in each, as plain data guarded by the
// Hub's lock. A room exists while it has members and is shown as spelled by the JOIN
// that created it. Keys are ASCII lower-case names, so maps iterate in the protocol's
// sort order.
class RoomDirectory {
 public:
  using Members = std::map<std::string, Peer*, std::less<>>;  // user key -> peer
  struct Room {
    std::string name;
    Members members;
    RoomState state;  // its first operator: the user who created it
  };

  const Room* find(std::string_view room_key) const;
  const RoomState* state(std::string_view room_key) const;
  // Changes version(): what is changed may be shown in a list (the topic).
  RoomState* state_to_change(std::string_view room_key);
  // Puts the user in the room, creating it if need be, unless they are in it already or
  // a limit says no (checked in that order: the user's, then the server's for a new room).
  Joined join(std::string_view room_name, const std::string& room_key, const std::string& user_key,
              Peer* peer, RoomLimits limits);
  // False if the user was not in the room. An emptied room is removed.
  bool part(std::string_view room_key, const std::string& user_key, Peer* peer);
  // Takes the user out of every room, silently (their departure is announced once,
  // globally). An emptied room is removed.
  void part_all(const std::string& user_key, Peer* peer);
  void rooms_of(const Peer& peer, std::vector<std::string>& room_keys) const;
  // The user's key in each of its rooms becomes `new_key`.
  void rename_member(const Peer& peer, const std::string& old_key, const std::string& new_key);

  const std::map<std::string, Room, std::less<>>& rooms() const noexcept { return rooms_; }
  // Changed (next_list_version) by every change of a room or its members: a list of the
  // rooms made at one version holds as long as the version does.
  std::uint64_t version() const noexcept { return version_; }

 private:
  std::map<std::string, Room, std::less<>> rooms_;
  std::unordered_map<const Peer*, std::vector<std::string>> joined_;  // peer -> its room keys
  std::uint64_t version_ = next_list_version();
};

}  // namespace socketchat::detail
