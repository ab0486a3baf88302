// The Hub's LOGIN: a valid name nobody else has.
#include <mutex>

#include "hub/hub.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

std::optional<ReplyError> Hub::try_login(Peer& peer, std::string_view name) {
  if (peer.logged_in()) return ReplyError::already_logged_in;
  if (!is_valid_name(name)) return ReplyError::invalid_username;
  std::unique_lock lock(mutex_);
  // A name that has just been freed is announced as gone before anyone takes it again.
  if (!departed_.empty()) announce_departures_locked();
  if (!directory_->claim(peer, name)) return ReplyError::username_taken;
  peer.name_ = std::string(name);
  // After the name is taken, before anyone can DM it: the DMs of this session are
  // stamped at or after this, those of an earlier user of the name before it.
  peer.login_unix_ms_ = history_.mark();
  return std::nullopt;
}

void Hub::login(Peer& from, std::string_view name) {
  if (auto refusal = try_login(from, name)) return reply_error(from, *refusal);
  // IRC's welcome tells the room limit (CHANLIMIT).
  reply(from,
        {.notice = Notice::ok, .room_limit = max_rooms_per_user_.load(std::memory_order_relaxed)});
  publish(EventKind::login, from);
}

}  // namespace socketchat::detail
