// The Hub's lookups of one user or one room (IRC's WHOIS, TOPIC and MODE): a find in
// the tables, where a WHO would list everyone to show one.
#include <mutex>

#include "hub/hub.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

void Hub::user_info(Peer& from, std::string_view name) {
  std::shared_lock lock(mutex_);  // the name points into the directory: keep it until encoded
  const std::string_view found = directory_->find_user(name);
  if (found.empty()) {
    lock.unlock();
    return reply_error(from, ReplyError::no_such_user);
  }
  reply(from, {.notice = Notice::user_info, .user = found, .identity = identity_locked(found)});
}

UserIdentity Hub::identity_locked(std::string_view name) const {
  const Peer* peer = directory_->find_peer(name);
  UserIdentity identity = peer ? peer->identity() : UserIdentity{};
  if (peer) {
    if (peer->account()) identity.account = peer->name();
    identity.is_operator = peer->is_operator();
  }
  if (!away_.empty()) {
    if (auto away = away_.find(ascii_lower(name)); away != away_.end())
      identity.away = away->second;
  }
  return identity;
}

void Hub::room_info(Peer& from, std::string_view room) {
  std::shared_lock lock(mutex_);  // as above
  const std::string key = ascii_lower(room);
  const std::string_view name = directory_->room_name(key);
  if (name.empty()) {
    lock.unlock();
    return reply_error(from, ReplyError::no_such_room);
  }
  const RoomSummary summary{name, directory_->member_count(key)};
  reply(from, {.notice = Notice::room_info, .rooms = {&summary, 1}});
}

}  // namespace socketchat::detail
