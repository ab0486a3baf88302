// The Hub's rooms: JOIN, PART, WHO <room> and ROOMS.
#include <mutex>
#include <vector>

#include "hub/encode_once.hpp"
#include "hub/hub.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

void Hub::join(Peer& from, std::string_view room) {
  if (!is_valid_name(room)) return reply_error(from, ReplyError::invalid_room);
  const std::string room_key = ascii_lower(room);
  const std::string user_key = ascii_lower(from.name());
  const RoomDirectory::Limits limits{
      .rooms = max_rooms_.load(std::memory_order_relaxed),
      .rooms_per_user = max_rooms_per_user_.load(std::memory_order_relaxed)};
  std::unique_lock lock(mutex_);
  switch (rooms_.join(room, room_key, user_key, &from, limits)) {
    case RoomDirectory::Joined::ok:
      break;
    case RoomDirectory::Joined::already_in:
      lock.unlock();
      return reply_error(from, ReplyError::already_in_room);
    case RoomDirectory::Joined::too_many_for_user:
      lock.unlock();
      return reply_error(from, ReplyError::too_many_rooms);
    case RoomDirectory::Joined::too_many_rooms:
      lock.unlock();
      return reply_error(from, ReplyError::server_rooms_full);
  }
  reply(from, {.notice = Notice::ok});
  const auto& joined = *rooms_.find(room_key);
  broadcast_room_locked(
      joined, {.notice = Notice::joined, .user = from.name(), .room = joined.name}, &from);
  const std::string spelled = joined.name;
  lock.unlock();  // sinks are called outside the Hub's lock
  publish(EventKind::joined, from, spelled);
}

void Hub::part(Peer& from, std::string_view room) {
  const std::string room_key = ascii_lower(room);
  const std::string user_key = ascii_lower(from.name());
  std::unique_lock lock(mutex_);
  const auto* found = rooms_.find(room_key);
  const std::string spelled = found ? found->name : std::string();  // the room may go with us
  if (!rooms_.part(room_key, user_key, &from)) {
    lock.unlock();
    return reply_error(from, ReplyError::not_in_room);
  }
  reply(from, {.notice = Notice::ok});
  if (const auto* remaining = rooms_.find(room_key)) {
    broadcast_room_locked(*remaining,
                          {.notice = Notice::left, .user = from.name(), .room = spelled}, nullptr);
  }
  lock.unlock();  // sinks are called outside the Hub's lock
  publish(EventKind::left, from, spelled);
}

void Hub::who_in_room(Peer& from, std::string_view room) {
  if (from.closing()) return;  // nothing it is sent now would be delivered
  std::vector<std::string_view> names;
  std::shared_lock lock(mutex_);
  const auto* found = rooms_.find(ascii_lower(room));
  if (!found) {
    lock.unlock();
    return reply_error(from, ReplyError::no_such_room);
  }
  names.reserve(found->members.size());
  for (const auto& [key, peer] : found->members) names.push_back(peer->name());
  reply_list(from, {.notice = Notice::user_list, .names = names});
}

void Hub::list_rooms(Peer& from) {
  if (from.closing()) return;     // nothing it is sent now would be delivered
  std::shared_lock lock(mutex_);  // the names point into the table: keep it until encoded
  auto list = kept_rooms_.at(rooms_.version(), [&](std::vector<RoomSummary>& rooms) {
    rooms.reserve(rooms_.rooms().size());
    for (const auto& [key, room] : rooms_.rooms())
      rooms.push_back({room.name, room.members.size()});
  });
  reply_list(from,
             {.notice = Notice::room_list, .rooms = list->entries, .list_version = list->version});
}

bool Hub::is_member(const Peer& peer, std::string_view room_key) const {
  std::shared_lock lock(mutex_);
  const auto* found = rooms_.find(room_key);
  return found && found->members.contains(ascii_lower(peer.name()));
}

void Hub::broadcast_room_locked(const RoomDirectory::Room& room, const ServerMessage& message,
                                const Peer* except) {
  EncodeOnce encoded(message);
  for (const auto& [key, peer] : room.members) {
    if (peer != except) peer->send(encoded.for_protocol(peer->protocol()));
  }
}

}  // namespace socketchat::detail
