#include "hub/hub.hpp"

#include <algorithm>
#include <mutex>

#include "hub/local_delivery.hpp"
#include "hub/local_directory.hpp"
#include "hub/peer_events.hpp"

namespace socketchat::detail {

Hub::Hub(EventBus& bus) : bus_(bus) {
  auto local = std::make_unique<LocalDirectory>();
  delivery_ = std::make_unique<LocalDelivery>(*local);
  directory_ = std::move(local);
}

Hub::Hub(EventBus& bus, std::unique_ptr<Directory> directory, std::unique_ptr<Delivery> delivery)
    : bus_(bus), directory_(std::move(directory)), delivery_(std::move(delivery)) {
  directory_->on_join_finished([this](Peer& peer, Joined joined, const std::string& room_key) {
    join_finished_locked(peer, joined, room_key);
  });
}

Hub::~Hub() {
  std::lock_guard lock(gate_->mutex);
  gate_->hub = nullptr;
}

Hub::After Hub::handle(Peer& from, const Command& command) {
  switch (command.verb) {
    case Verb::unknown:
      reply_error(from, ReplyError::unknown_command);
      return After::stay;
    case Verb::quit:
      if (!command.text.empty()) from.seldom().quit_reason = command.text;
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
        return login(from, command);
      }
      return After::stay;
    case Verb::register_account:
    case Verb::token:
    case Verb::change_password:
      if (!has_accounts()) {  // without accounts there are no such commands
        reply_error(from, ReplyError::unknown_command);
        return After::stay;
      }
      if (command.verb == Verb::change_password) break;  // logged in, below
      if (command.verb == Verb::token && from.logged_in()) {
        if (!command.secret.empty()) {
          reply_error(from, ReplyError::already_logged_in);
          return After::stay;
        }
        return account_request(from, command);
      }
      return login(from, command);
    default:
      break;
  }
  if (!from.logged_in()) {
    reply_error(from, ReplyError::not_logged_in);
    return After::stay;
  }
  // The verbs that name something need it (HISTORY of the public feed or of the DMs
  // with a user names its target by itself); those that carry text need that too.
  const bool needs_name = command.verb == Verb::dm || command.verb == Verb::join ||
                          command.verb == Verb::rename || command.verb == Verb::part ||
                          command.verb == Verb::say || command.verb == Verb::topic ||
                          command.verb == Verb::set_topic || command.verb == Verb::mode ||
                          command.verb == Verb::invite ||
                          (command.verb == Verb::history && command.history_of == HistoryOf::room);
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
      return message(from, command);
    case Verb::dm:
      return direct_message(from, command);
    case Verb::say:
      return say(from, command);
    case Verb::history:
      return history(from, command);
    case Verb::who:
      if (command.name.empty()) {
        who(from);
      } else {
        who_in_room(from, command.name);
      }
      break;
    case Verb::join:
      return join(from, command.name, command.secret,
                  command.anchor == HistoryAnchor::since ? command.message_id : std::string_view{});
    case Verb::topic:
      topic(from, command.name);
      break;
    case Verb::set_topic:
      set_topic(from, command.name, command.text);
      break;
    case Verb::mode:
      mode(from, command.name, command.text);
      break;
    case Verb::invite:
      invite(from, command.name, command.subject);
      break;
    case Verb::part:
      part(from, command.name, command.text);
      break;
    case Verb::part_all:
      part_all(from);
      break;
    case Verb::away:
      set_away(from, command.text);
      break;
    case Verb::rename:
      return rename(from, command.name);
    case Verb::counts:
      counts(from);
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
    case Verb::change_password:
    case Verb::oper:
      return account_request(from, command);
    case Verb::kick:
      kick(from, command);
      break;
    case Verb::ban:
    case Verb::unban:
    case Verb::mute:
    case Verb::unmute:
      moderate_user(from, command);
      break;
    default:
      break;
  }
  return After::stay;
}

void Hub::set_limits(const ServerOptions& options) noexcept {
  // With the session's own bound (it reads no commands while over half of sendq_bytes
  // is queued), a quarter leaves a quarter for everything else arriving meanwhile.
  std::size_t reply_bytes = options.max_reply_bytes;
  if (options.sendq_bytes != 0) reply_bytes = std::min(reply_bytes, options.sendq_bytes / 4);
  max_rooms_.store(options.max_rooms, std::memory_order_relaxed);
  max_rooms_per_user_.store(options.max_rooms_per_user, std::memory_order_relaxed);
  max_reply_bytes_.store(reply_bytes, std::memory_order_relaxed);
  max_bans_.store(options.max_bans, std::memory_order_relaxed);
  rename_interval_ms_.store(options.rename_interval.count(), std::memory_order_relaxed);
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

void Hub::publish(EventKind kind, const Peer& peer, std::string_view target, std::string_view text,
                  std::string_view as) {
  Event event = event_of(peer, kind, as);
  event.target = target;
  event.text = text;
  bus_.publish(event);
}

}  // namespace socketchat::detail
