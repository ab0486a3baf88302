// The Hub's lookups of one user or one room (IRC's WHOIS, TOPIC and MODE): a find in
// the tables, where a WHO would list everyone to show one.
#include <mutex>

#include "hub/hub.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

void Hub::user_info(Peer& from, std::string_view name) {
  std::shared_lock lock(mutex_);  // the name points into the table: keep it until encoded
  const auto found = users_.find(ascii_lower(name));
  if (found == users_.end()) {
    lock.unlock();
    return reply_error(from, ReplyError::no_such_user);
  }
  reply(from, {.notice = Notice::user_info, .user = found->second->name()});
}

void Hub::room_info(Peer& from, std::string_view room) {
  std::shared_lock lock(mutex_);  // as above
  const auto* found = rooms_.find(ascii_lower(room));
  if (!found) {
    lock.unlock();
    return reply_error(from, ReplyError::no_such_room);
  }
  const RoomSummary summary{found->name, found->members.size()};
  reply(from, {.notice = Notice::room_info, .rooms = {&summary, 1}});
}

}  // namespace socketchat::detail
