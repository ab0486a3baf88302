#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "hub/directory.hpp"
#include "hub/peer.hpp"
#include "hub/room_directory.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

// The directory of one process: every user is a Peer of this server, held by pointer
// from LOGIN until it leaves. LocalDelivery routes over the same tables.
class LocalDirectory final : public Directory {
 public:
  // The users by name, sorted as their keys (ascii_lower) sort, for WHO; a name finds its
  // user as it is spelled. A set of the peers themselves, keyed by the names they hold:
  // a user costs a node of two pointers' worth, not a copy of its name (a connection's
  // size is the server's memory at scale), and a lookup lowers no string.
  struct ByName {
    using is_transparent = void;
    bool operator()(const Peer* a, const Peer* b) const noexcept {
      return iless_ascii(a->name(), b->name());
    }
    bool operator()(const Peer* a, std::string_view b) const noexcept {
      return iless_ascii(a->name(), b);
    }
    bool operator()(std::string_view a, const Peer* b) const noexcept {
      return iless_ascii(a, b->name());
    }
  };
  using Users = std::set<Peer*, ByName>;

  // `peer`'s name is `name` already (the Hub sets it first, and takes it back if this
  // refuses): the set keeps it by its name.
  bool claim(Peer& peer, std::string_view name) override;
  bool release(Peer& peer) override;
  // Sets the peer's name itself (out of the set, as the set is ordered by it).
  bool rename(Peer& peer, std::string_view name) override;
  std::string_view find_user(std::string_view name) const override;
  Peer* find_peer(std::string_view name) const override;
  std::size_t user_count() const override { return users_.size(); }
  void list_users(std::vector<std::string_view>& names) const override;
  std::uint64_t users_version() const override { return users_version_; }

  Joined join(Peer& peer, std::string_view room, const std::string& room_key,
              RoomLimits limits) override;
  bool part(Peer& peer, std::string_view room_key) override;
  std::string_view room_name(std::string_view room_key) const override;
  const RoomState* room_state(std::string_view room_key) const override {
    return rooms_.state(room_key);
  }
  RoomState* room_state_to_change(std::string_view room_key) override {
    return rooms_.state_to_change(room_key);
  }
  std::size_t member_count(std::string_view room_key) const override;
  bool is_member(const Peer& peer, std::string_view room_key) const override;
  void rooms_of(const Peer& peer, std::vector<std::string>& room_keys) const override {
    rooms_.rooms_of(peer, room_keys);
  }
  bool list_members(std::string_view room_key, std::vector<std::string_view>& names) const override;
  void list_rooms(std::vector<RoomSummary>& rooms) const override;
  std::uint64_t rooms_version() const override { return rooms_.version(); }

  // For LocalDelivery: the tables themselves.
  const Users& users() const noexcept { return users_; }
  const RoomDirectory::Room* find_room(std::string_view room_key) const {
    return rooms_.find(room_key);
  }
  const auto& rooms() const noexcept { return rooms_.rooms(); }

 private:
  Users users_;
  std::uint64_t users_version_ = next_list_version();
  RoomDirectory rooms_;
};

}  // namespace socketchat::detail
