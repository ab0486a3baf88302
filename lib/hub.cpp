#include "detail/hub.hpp"

#include <mutex>
#include <vector>

#include "detail/encode_once.hpp"
#include "detail/text.hpp"

namespace socketchat::detail {

Hub::After Hub::handle(Peer& from, const Command& command) {
  switch (command.verb) {
    case Verb::unknown: reply_error(from, ReplyError::unknown_command); return After::stay;
    case Verb::quit: return After::close;
    case Verb::help: reply(from, {.notice = Notice::help}); return After::stay;
    case Verb::ping: reply(from, {.notice = Notice::pong, .text = command.text}); return After::stay;
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
  switch (command.verb) {
    case Verb::msg:
      if (command.text.empty()) {
        reply_error(from, ReplyError::empty_message);
      } else {
        message(from, command.text);
      }
      break;
    case Verb::dm:
      if (command.name.empty()) {
        reply_error(from, ReplyError::missing_argument);
      } else if (command.text.empty()) {
        reply_error(from, ReplyError::empty_message);
      } else {
        direct_message(from, command.name, command.text);
      }
      break;
    case Verb::who: who(from); break;
    default: break;
  }
  return After::stay;
}

std::optional<ReplyError> Hub::try_login(Peer& peer, std::string_view name) {
  if (peer.logged_in()) return ReplyError::already_logged_in;
  if (!is_valid_name(name)) return ReplyError::invalid_username;
  std::unique_lock lock(mutex_);
  if (!users_.try_emplace(ascii_lower(name), &peer).second) return ReplyError::username_taken;
  peer.name_ = std::string(name);
  return std::nullopt;
}

void Hub::login(Peer& from, std::string_view name) {
  if (auto refusal = try_login(from, name)) return reply_error(from, *refusal);
  reply(from, {.notice = Notice::ok});
  publish(EventKind::login, from);
}

bool Hub::moderate(Peer& from, std::string_view to, std::string_view& text, std::string& storage) {
  if (!filter_) return true;
  MessageDraft draft{.from = from.name(), .to = to, .text = std::string(text)};
  Verdict verdict = Verdict::reject;
  try {
    verdict = filter_(draft);
  } catch (const std::exception& e) {
    Event event{.kind = EventKind::error, .time = {}, .connection = from.id(),
                .remote = from.remote(), .user = from.name(), .text = e.what(),
                .detail = "filter-failed"};
    bus_.publish(event);
  } catch (...) {
    Event event{.kind = EventKind::error, .time = {}, .connection = from.id(),
                .remote = from.remote(), .user = from.name(), .detail = "filter-failed"};
    bus_.publish(event);
  }
  if (verdict == Verdict::deliver && is_valid_utf8(draft.text)) {
    std::string scratch;
    storage = trim(strip_controls(draft.text, scratch));
    text = storage;
    if (!text.empty()) return true;
  }
  reply_error(from, ReplyError::message_rejected);
  return false;
}

void Hub::message(Peer& from, std::string_view text) {
  std::string rewritten;
  if (!moderate(from, {}, text, rewritten)) return;
  {
    std::shared_lock lock(mutex_);
    broadcast_locked({.notice = Notice::message, .user = from.name(), .text = text}, &from);
  }
  publish(EventKind::message, from, {}, text);
}

void Hub::direct_message(Peer& from, std::string_view to, std::string_view text) {
  std::string rewritten;
  if (filter_) {
    // The filter runs outside the lock, so it learns the recipient's spelling first.
    std::string target;
    {
      std::shared_lock lock(mutex_);
      if (auto it = users_.find(ascii_lower(to)); it != users_.end()) target = it->second->name();
    }
    if (target.empty()) return reply_error(from, ReplyError::no_such_user);
    if (!moderate(from, target, text, rewritten)) return;
  }
  std::string target;
  {
    std::shared_lock lock(mutex_);
    if (auto it = users_.find(ascii_lower(to)); it != users_.end()) {
      Peer& recipient = *it->second;
      reply(recipient, {.notice = Notice::direct_message, .user = from.name(), .text = text});
      target = recipient.name();
    }
  }
  if (target.empty()) return reply_error(from, ReplyError::no_such_user);
  publish(EventKind::direct_message, from, target, text);
}

void Hub::who(Peer& from) {
  std::vector<std::string_view> names;
  std::shared_lock lock(mutex_);  // the views point into the table: keep it until encoded
  names.reserve(users_.size());
  for (const auto& [key, peer] : users_) names.push_back(peer->name());
  reply(from, {.notice = Notice::user_list, .names = names});
}

void Hub::leave(Peer& peer) {
  if (!peer.logged_in()) return;
  {
    std::unique_lock lock(mutex_);
    auto it = users_.find(ascii_lower(peer.name()));
    if (it == users_.end() || it->second != &peer) return;
    users_.erase(it);
    if (!quiet_) broadcast_locked({.notice = Notice::user_disconnected, .user = peer.name()}, &peer);
  }
}

void Hub::set_quiet(bool quiet) noexcept {
  std::unique_lock lock(mutex_);
  quiet_ = quiet;
}

std::size_t Hub::user_count() const {
  std::shared_lock lock(mutex_);
  return users_.size();
}

void Hub::reply(Peer& to, const ServerMessage& message) { to.send(to.protocol().encode(message)); }

void Hub::reply_error(Peer& to, ReplyError error) {
  reply(to, {.notice = Notice::error, .error = error});
}

void Hub::broadcast_locked(const ServerMessage& message, const Peer* except) {
  EncodeOnce encoded(message);
  for (const auto& [key, peer] : users_) {
    if (peer != except) peer->send(encoded.for_protocol(peer->protocol()));
  }
}

void Hub::publish(EventKind kind, const Peer& peer, std::string_view target, std::string_view text) {
  Event event{.kind = kind, .time = {}, .connection = peer.id(), .remote = peer.remote(),
              .user = peer.name(), .target = target, .text = text};
  bus_.publish(event);
}

}  // namespace socketchat::detail
