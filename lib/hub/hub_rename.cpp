// The Hub's RENAME (IRC's NICK after registration): a guest takes another valid name
// nobody has, as its LOGIN would have, and everyone is told.
#include <mutex>

#include "hub/hub.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

Hub::After Hub::rename(Peer& from, std::string_view name) {
  if (!is_valid_name(name)) {
    reply_error(from, ReplyError::invalid_username);
    return After::stay;
  }
  // An account's user is its account's name; a cluster claims names in Redis.
  bool renames = false;
  {
    std::shared_lock lock(mutex_);
    renames = directory_->renames();
  }
  if (from.account() || !renames) {
    reply_error(from, ReplyError::cannot_rename);
    return After::stay;
  }
  if (name == from.name()) {  // the same name, spelled the same: nothing to do
    reply(from, {.notice = Notice::ok, .user = from.name()});
    return After::stay;
  }
  const auto interval =
      std::chrono::milliseconds(rename_interval_ms_.load(std::memory_order_relaxed));
  if (interval.count() > 0 && from.seldom_ &&
      from.seldom_->renamed_at != std::chrono::steady_clock::time_point{} &&
      std::chrono::steady_clock::now() - from.seldom_->renamed_at < interval) {
    reply_error(from, ReplyError::rate_limited);
    return After::stay;
  }
  if (banned_from("*", name)) {
    reply_error(from, ReplyError::banned);
    return After::stay;
  }
  if (moderated_.load(std::memory_order_relaxed) != 0) {
    std::shared_lock lock(mutex_);
    if (moderated_anywhere_locked(from)) {
      lock.unlock();
      reply_error(from, ReplyError::muted);
      return After::stay;
    }
  }
  if (!authenticator_) {
    finish_rename(from, name);
    return After::stay;
  }
  // With accounts, the name must be one a guest may take: asked as for a guest's LOGIN.
  const LoginRequest request{.kind = LoginKind::name,
                             .name = name,
                             .remote = from.remote(),
                             .transport = from.transport(),
                             .encrypted = from.encrypted(),
                             .connection = from.id()};
  return ask_authenticator(
      from, request, [asked = std::string(name)](Hub& hub, Peer& peer, const LoginResult& result) {
        if (peer.closing() || hub.stopping()) return;
        if (!result.accepted) {
          const bool known =
              static_cast<std::size_t>(result.error) <= static_cast<std::size_t>(last_reply_error);
          return reply_error(peer, known ? result.error : ReplyError::invalid_username);
        }
        hub.finish_rename(peer, asked);
      });
}

void Hub::finish_rename(Peer& peer, std::string_view name) {
  std::unique_lock lock(mutex_);
  const std::string old_name = peer.name_;
  if (!directory_->rename(peer, name)) {
    lock.unlock();
    return reply_error(peer, ReplyError::username_taken);
  }
  peer.name_ = std::string(name);
  peer.seldom().renamed_at = std::chrono::steady_clock::now();
  if (auto away = away_.find(ascii_lower(old_name)); away != away_.end()) {
    std::string message = std::move(away->second);
    away_.erase(away);
    away_.insert_or_assign(ascii_lower(name), std::move(message));
  }
  // The renamed user first (IRC spells its answer as the NICK line, and learns its new
  // nick from it), then everyone else, under the lock: nothing reaches either in between.
  reply(peer, {.notice = Notice::ok, .user = peer.name()});
  delivery_->to_everyone({.notice = Notice::renamed,
                          .user = old_name,
                          .text = peer.name(),
                          .identity = peer.identity()},
                         &peer);
}

bool Hub::moderated_anywhere_locked(const Peer& peer) const {
  const std::string user_key = ascii_lower(peer.name());
  if (listed_locked(mutes_, "*", user_key)) return true;
  std::vector<std::string> rooms;
  directory_->rooms_of(peer, rooms);
  for (const auto& room : rooms) {
    if (listed_locked(mutes_, room, user_key) || listed_locked(bans_, room, user_key)) return true;
  }
  return false;
}

}  // namespace socketchat::detail
