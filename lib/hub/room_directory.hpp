#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace socketchat::detail {

class Peer;

// A new list version, never handed out before in this process (so no two states of any
// two Hubs share one): what a list cache is keyed by (ServerMessage::list_version).
std::uint64_t next_list_version() noexcept;

// Which rooms exist and who is in each: plain data, guarded by the Hub's lock. A room
// exists while it has members and is shown as spelled by the JOIN that created it.
// Keys are ASCII lower-case names, so maps iterate in the protocol's sort order.
class RoomDirectory {
 public:
  using Members = std::map<std::string, Peer*, std::less<>>;  // user key -> peer
  struct Room {
    std::string name;
    Members members;
  };

  // How many rooms may exist, and how many one user may be in; 0 = no limit.
  struct Limits {
    std::size_t rooms = 0;
    std::size_t rooms_per_user = 0;
  };
  enum class Joined { ok, already_in, too_many_for_user, too_many_rooms };

  const Room* find(std::string_view room_key) const;
  // Puts the user in the room, creating it if need be, unless they are in it already or
  // a limit says no (checked in that order: the user's, then the server's for a new room).
  Joined join(std::string_view room_name, const std::string& room_key, const std::string& user_key,
              Peer* peer, Limits limits);
  // False if the user was not in the room. An emptied room is removed.
  bool part(std::string_view room_key, const std::string& user_key, Peer* peer);
  // Takes the user out of every room, silently (their departure is announced once,
  // globally). An emptied room is removed.
  void part_all(const std::string& user_key, Peer* peer);

  const std::map<std::string, Room, std::less<>>& rooms() const noexcept { return rooms_; }
  // Changed (next_list_version) by every change of a room or its members: a list of the
  // rooms made at one version holds as long as the version does.
  std::uint64_t version() const noexcept { return version_; }

 private:
  std::map<std::string, Room, std::less<>> rooms_;
  std::unordered_map<Peer*, std::vector<std::string>> joined_;  // peer -> its room keys
  std::uint64_t version_ = next_list_version();
};

}  // namespace socketchat::detail
