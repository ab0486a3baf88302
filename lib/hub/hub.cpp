#include "hub/hub.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

#include "hub/encode_once.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

Hub::After Hub::handle(Peer& from, const Command& command) {
  switch (command.verb) {
    case Verb::unknown:
      reply_error(from, ReplyError::unknown_command);
      return After::stay;
    case Verb::quit:
      return After::close;
    case Verb::help:
      reply(from, {.notice = Notice::help});
      return After::stay;
    case Verb::ping:
      reply(from, {.notice = Notice::pong, .text = command.text});
      return After::stay;
    case Verb::login:
      if (from.logged_in()) {
        reply_error(from, ReplyError::already_logged_in);
      } else if (command.name.empty()) {
        reply_error(from, ReplyError::missing_argument);
      } else {
        login(from, command.name);
      }
      return After::stay;
    default:
      break;
  }
  if (!from.logged_in()) {
    reply_error(from, ReplyError::not_logged_in);
    return After::stay;
  }
  // The verbs that name something need it; those that carry text need that too.
  const bool needs_name = command.verb == Verb::dm || command.verb == Verb::join ||
                          command.verb == Verb::part || command.verb == Verb::say ||
                          command.verb == Verb::history;
  const bool needs_text =
      command.verb == Verb::msg || command.verb == Verb::dm || command.verb == Verb::say;
  if (needs_name && command.name.empty()) {
    reply_error(from, ReplyError::missing_argument);
    return After::stay;
  }
  if (needs_text && command.text.empty()) {
    reply_error(from, ReplyError::empty_message);
    return After::stay;
  }
  switch (command.verb) {
    case Verb::msg:
      return message(from, command.text);
    case Verb::dm:
      return direct_message(from, command.name, command.text);
    case Verb::say:
      return say(from, command.name, command.text);
    case Verb::history:
      return history(from, command.name, command.text);
    case Verb::who:
      if (command.name.empty()) {
        who(from);
      } else {
        who_in_room(from, command.name);
      }
      break;
    case Verb::join:
      join(from, command.name);
      break;
    case Verb::part:
      part(from, command.name);
      break;
    case Verb::rooms:
      list_rooms(from);
      break;
    case Verb::user_info:
      user_info(from, command.name);
      break;
    case Verb::room_info:
      room_info(from, command.name);
      break;
    default:
      break;
  }
  return After::stay;
}

std::optional<ReplyError> Hub::try_login(Peer& peer, std::string_view name) {
  if (peer.logged_in()) return ReplyError::already_logged_in;
  if (!is_valid_name(name)) return ReplyError::invalid_username;
  std::unique_lock lock(mutex_);
  // A name that has just been freed is announced as gone before anyone takes it again.
  if (!departed_.empty()) announce_departures_locked();
  if (!users_.try_emplace(ascii_lower(name), &peer).second) return ReplyError::username_taken;
  users_version_ = next_list_version();
  peer.name_ = std::string(name);
  // After the name is taken, before anyone can DM it: the DMs of this session are
  // stamped at or after this, those of an earlier user of the name before it.
  peer.login_unix_ms_ = history_mark();
  return std::nullopt;
}

void Hub::login(Peer& from, std::string_view name) {
  if (auto refusal = try_login(from, name)) return reply_error(from, *refusal);
  // IRC's welcome tells the room limit (CHANLIMIT).
  reply(from,
        {.notice = Notice::ok, .room_limit = max_rooms_per_user_.load(std::memory_order_relaxed)});
  publish(EventKind::login, from);
}

void Hub::who(Peer& from) {
  if (from.closing()) return;  // nothing it is sent now would be delivered
  // The names point into the table: the lock is held until they are encoded.
  std::shared_lock lock(mutex_);
  auto list = kept_users_.at(users_version_, [&](std::vector<std::string_view>& names) {
    names.reserve(users_.size());
    for (const auto& [key, peer] : users_) names.push_back(peer->name());
  });
  reply_list(from,
             {.notice = Notice::user_list, .names = list->entries, .list_version = list->version});
}

void Hub::leave(Peer& peer) {
  if (!peer.logged_in()) return;
  std::unique_lock lock(mutex_);
  auto it = users_.find(ascii_lower(peer.name()));
  if (it == users_.end() || it->second != &peer) return;
  rooms_.part_all(it->first, &peer);
  users_.erase(it);
  users_version_ = next_list_version();
  if (quiet_) return;
  if (!schedule_) {
    broadcast_locked({.notice = Notice::user_disconnected, .user = peer.name()}, &peer);
    return;
  }
  departed_.push_back(peer.name());
  if (departed_.size() == 1) {
    schedule_([this] {
      std::unique_lock later(mutex_);
      announce_departures_locked();
    });
  }
}

void Hub::announce_departures_locked() {
  if (departed_.empty()) return;
  std::vector<std::string> gone = std::move(departed_);
  departed_.clear();
  if (quiet_) return;
  std::vector<std::string_view> names(gone.begin(), gone.end());
  broadcast_locked({.notice = Notice::user_disconnected, .names = names}, nullptr);
}

void Hub::set_quiet(bool quiet) noexcept {
  std::unique_lock lock(mutex_);
  quiet_ = quiet;
}

std::size_t Hub::user_count() const {
  std::shared_lock lock(mutex_);
  return users_.size();
}

void Hub::set_limits(const ServerOptions& options) noexcept {
  // With the session's own bound (it reads no commands while over half of sendq_bytes
  // is queued), a quarter leaves a quarter for everything else arriving meanwhile.
  std::size_t reply_bytes = options.max_reply_bytes;
  if (options.sendq_bytes != 0) reply_bytes = std::min(reply_bytes, options.sendq_bytes / 4);
  max_rooms_.store(options.max_rooms, std::memory_order_relaxed);
  max_rooms_per_user_.store(options.max_rooms_per_user, std::memory_order_relaxed);
  max_reply_bytes_.store(reply_bytes, std::memory_order_relaxed);
}

void Hub::reply(Peer& to, const ServerMessage& message) {
  if (to.closing()) return;  // it would be dropped: do not even encode it
  to.send(to.encoder().encode(message));
}

void Hub::reply_list(Peer& to, ServerMessage message) const {
  if (to.closing()) return;
  message.max_bytes = max_reply_bytes_.load(std::memory_order_relaxed);
  reply(to, message);
}

void Hub::reply_error(Peer& to, ReplyError error) {
  ++to.refusals_;  // always the asker, on its strand
  reply(to, {.notice = Notice::error, .error = error});
}

void Hub::broadcast_locked(const ServerMessage& message, const Peer* except) {
  EncodeOnce encoded(message);
  for (const auto& [key, peer] : users_) {
    if (peer != except) peer->send(encoded.for_protocol(peer->protocol()));
  }
}

void Hub::publish(EventKind kind, const Peer& peer, std::string_view target,
                  std::string_view text) {
  Event event{.kind = kind,
              .time = {},
              .connection = peer.id(),
              .remote = peer.remote(),
              .user = peer.name(),
              .target = target,
              .text = text};
  bus_.publish(event);
}

}  // namespace socketchat::detail
