// The Hub's users: WHO, and their departures.
#include <mutex>
#include <vector>

#include "hub/hub.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

void Hub::who(Peer& from) {
  if (from.closing()) return;  // nothing it is sent now would be delivered
  // The names point into the directory: the lock is held until they are encoded.
  std::shared_lock lock(mutex_);
  auto list =
      kept_users_.at(directory_->users_version(),
                     [&](std::vector<std::string_view>& names) { directory_->list_users(names); });
  auto identities = kept_identities_.at(list->version, [&](std::vector<UserIdentity>& made) {
    made.reserve(list->entries.size());
    for (auto name : list->entries) made.push_back(identity_locked(name));
  });
  reply_list(from, {.notice = Notice::user_list,
                    .names = list->entries,
                    .identities = identities->entries,
                    .list_version = list->version});
}

// AWAY: kept by the Hub, so that others see it (WHOIS, WHO, a DM's answer); at most
// max_away_bytes of it.
void Hub::set_away(Peer& from, std::string_view message) {
  message = utf8_head(message, max_away_bytes);
  {
    std::unique_lock lock(mutex_);
    if (message.empty()) {
      away_.erase(ascii_lower(from.name()));
    } else {
      away_.insert_or_assign(ascii_lower(from.name()), std::string(message));
    }
    kept_identities_.forget();
    // Told to those who asked (IRC's away-notify); every other encoder spells nothing.
    UserIdentity identity = from.identity();
    identity.away = message;
    delivery_->to_everyone({.notice = Notice::away_changed,
                            .user = from.name(),
                            .text = message,
                            .identity = identity},
                           &from);
  }
  reply(from, {.notice = Notice::ok});
}

void Hub::counts(Peer& from) {
  std::shared_lock lock(mutex_);
  auto rooms = kept_rooms_.at(directory_->rooms_version(), [&](std::vector<RoomSummary>& made) {
    directory_->list_rooms(made);
  });
  const std::size_t users = directory_->user_count();
  reply(from,
        {.notice = Notice::counts,
         .counts = {.users = users,
                    .most_users = std::max(users, most_users_.load(std::memory_order_relaxed)),
                    .rooms = rooms->entries.size()}});
}

std::size_t Hub::user_count() const {
  std::shared_lock lock(mutex_);
  return directory_->user_count();
}

void Hub::leave(Peer& peer) {
  if (!peer.logged_in()) return;
  std::unique_lock lock(mutex_);
  if (!directory_->release(peer)) return;
  if (!away_.empty()) away_.erase(ascii_lower(peer.name()));
  if (quiet_) return;
  const std::string_view reason = peer.seldom_ ? peer.seldom_->quit_reason : std::string_view();
  if (!schedule_) {
    delivery_->to_everyone({.notice = Notice::user_disconnected,
                            .user = peer.name(),
                            .text = reason,
                            .identity = peer.identity()},
                           &peer);
    return;
  }
  departed_.push_back({peer.name(), std::string(peer.identity().user_name), std::string(reason)});
  if (departed_.size() == 1) {
    schedule_([this] {
      std::unique_lock later(mutex_);
      announce_departures_locked();
    });
  }
}

void Hub::announce_departures_locked() {
  if (departed_.empty()) return;
  std::vector<Departure> gone = std::move(departed_);
  departed_.clear();
  if (quiet_) return;
  std::vector<std::string_view> names, reasons;
  std::vector<UserIdentity> identities;
  names.reserve(gone.size());
  reasons.reserve(gone.size());
  identities.reserve(gone.size());
  for (const auto& departure : gone) {
    names.push_back(departure.name);
    reasons.push_back(departure.reason);
    identities.push_back({.user_name = departure.user_name});
  }
  delivery_->to_everyone({.notice = Notice::user_disconnected,
                          .names = names,
                          .identities = identities,
                          .reasons = reasons},
                         nullptr);
}

void Hub::set_quiet(bool quiet) noexcept {
  std::unique_lock lock(mutex_);
  quiet_ = quiet;
}

bool Hub::stopping() const {
  std::shared_lock lock(mutex_);
  return quiet_;
}

}  // namespace socketchat::detail
