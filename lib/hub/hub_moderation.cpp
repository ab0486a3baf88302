// Operators and room operators (PROTOCOL.md): KICK, BAN, UNBAN, MUTE, UNMUTE, and the
// checks that make bans and mutes hold at LOGIN, JOIN and on every message.
#include <algorithm>
#include <mutex>

#include "hub/hub.hpp"
#include "hub/mode_changes.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

constexpr std::string_view server_wide = "*";

// "<scope>\n<user key>": scope "*" or a room key; neither holds a newline.
std::string entry_of(std::string_view scope, std::string_view user_key) {
  std::string entry;
  entry.reserve(scope.size() + 1 + user_key.size());
  entry.append(scope).append(1, '\n').append(user_key);
  return entry;
}

}  // namespace

bool Hub::may_moderate_locked(const Peer& from, std::string_view scope) const {
  if (from.is_operator()) return true;
  if (scope == server_wide) return false;
  return runs_room_locked(from, directory_->room_state(scope));
}

std::string Hub::mask_subject(const Peer& peer) const {
  const std::string_view user = peer.identity().user_name;
  std::string subject = ascii_lower(peer.name());
  subject.append("!~").append(ascii_lower(user.empty() ? peer.name() : user));
  subject.append("@").append(ascii_lower(server_name_));
  return subject;
}

bool Hub::banned_from_room_locked(std::string_view room_key, const Peer& peer) const {
  if (moderated_.load(std::memory_order_relaxed) == 0) return false;  // the usual case
  if (listed_locked(bans_, room_key, ascii_lower(peer.name()))) return true;
  if (ban_masks_ == 0) return false;
  const std::string subject = mask_subject(peer);
  for (const auto& entry : bans_) {
    const std::string_view listed = entry;
    if (listed.size() > room_key.size() && listed.starts_with(room_key) &&
        listed[room_key.size()] == '\n') {
      const std::string_view mask = listed.substr(room_key.size() + 1);
      if (is_ban_mask(mask) && matches_mask(mask, subject)) return true;
    }
  }
  return false;
}

std::vector<std::string> Hub::room_bans_locked(std::string_view room_key) const {
  std::vector<std::string> shown;
  for (const auto& entry : bans_) {
    const std::string_view listed = entry;
    if (listed.size() > room_key.size() && listed.starts_with(room_key) &&
        listed[room_key.size()] == '\n') {
      shown.push_back(shown_ban(listed.substr(room_key.size() + 1)));
    }
  }
  std::sort(shown.begin(), shown.end());
  return shown;
}

bool Hub::add_ban_locked(std::string_view by, std::string_view scope, std::string_view entry) {
  if (!bans_.insert(entry_of(scope, entry)).second) return false;
  moderated_.fetch_add(1, std::memory_order_relaxed);
  if (is_ban_mask(entry)) ++ban_masks_;
  directory_->moderated(by, true, scope, entry, true);
  return true;
}

bool Hub::lift_ban_locked(std::string_view by, std::string_view scope, std::string_view entry) {
  if (bans_.erase(entry_of(scope, entry)) == 0) return false;
  moderated_.fetch_sub(1, std::memory_order_relaxed);
  if (is_ban_mask(entry)) --ban_masks_;
  directory_->moderated(by, true, scope, entry, false);
  return true;
}

bool Hub::listed_locked(const std::unordered_set<std::string>& list, std::string_view scope,
                        std::string_view user_key) const {
  return !list.empty() && list.contains(entry_of(scope, user_key));
}

bool Hub::banned_from(std::string_view scope, std::string_view name) const {
  if (moderated_.load(std::memory_order_relaxed) == 0) return false;
  std::shared_lock lock(mutex_);
  return listed_locked(bans_, scope, ascii_lower(name));
}

bool Hub::silenced(Peer& from, std::string_view room_key) {
  if (moderated_.load(std::memory_order_relaxed) == 0) return false;  // the usual case
  const std::string user_key = ascii_lower(from.name());
  bool muted = false;
  {
    std::shared_lock lock(mutex_);
    muted = listed_locked(mutes_, server_wide, user_key) ||
            (!room_key.empty() && listed_locked(mutes_, room_key, user_key));
  }
  if (muted) reply_error(from, ReplyError::muted);
  return muted;
}

void Hub::kick(Peer& from, const Command& command) {
  if (command.name.empty() || command.subject.empty()) {
    return reply_error(from, ReplyError::missing_argument);
  }
  const std::string room_key = ascii_lower(command.name);
  std::unique_lock lock(mutex_);
  if (directory_->room_name(room_key).empty()) {
    lock.unlock();
    return reply_error(from, ReplyError::no_such_room);
  }
  if (!may_moderate_locked(from, room_key)) {
    lock.unlock();
    return reply_error(from, ReplyError::not_operator);
  }
  Peer* target = directory_->find_peer(command.subject);
  if (!target && directory_->kick_elsewhere(from.name(), from.is_operator(), command.subject,
                                            room_key, command.text)) {
    lock.unlock();
    return reply(from, {.notice = Notice::ok});
  }
  if (!target || !directory_->is_member(*target, room_key)) {
    lock.unlock();
    return reply_error(from, ReplyError::no_such_user);
  }
  if (target->is_operator() && !from.is_operator()) {
    lock.unlock();
    return reply_error(from, ReplyError::not_operator);
  }
  reply(from, {.notice = Notice::ok});
  kick_locked(from.name(), *target, room_key, command.text);
}

void Hub::kick_locked(std::string_view by, Peer& target, const std::string& room_key,
                      std::string_view reason) {
  const std::string spelled(directory_->room_name(room_key));  // the room may go with it
  delivery_->to_room(room_key,
                     {.notice = Notice::kicked,
                      .user = target.name(),
                      .text = reason,
                      .room = spelled,
                      .by = by,
                      .identity = identity_locked(by)},
                     nullptr);
  directory_->part(target, room_key);
}

void Hub::moderate_user(Peer& from, const Command& command) {
  if (command.name.empty() || command.subject.empty()) {
    return reply_error(from, ReplyError::missing_argument);
  }
  const bool everywhere = command.name == server_wide;
  if (!everywhere && !is_valid_name(command.name)) {
    return reply_error(from, ReplyError::invalid_room);
  }
  const bool bans = command.verb == Verb::ban || command.verb == Verb::unban;
  // A room's ban may name a mask (nick!user@host); the rest name a user.
  const std::string user_key = bans && !everywhere              ? ban_entry_of(command.subject)
                               : is_valid_name(command.subject) ? ascii_lower(command.subject)
                                                                : std::string();
  if (user_key.empty()) return reply_error(from, ReplyError::invalid_username);
  const std::string scope = everywhere ? std::string(server_wide) : ascii_lower(command.name);
  const bool adding = command.verb == Verb::ban || command.verb == Verb::mute;
  auto& list = bans ? bans_ : mutes_;

  std::unique_lock lock(mutex_);
  if (!may_moderate_locked(from, scope)) {
    lock.unlock();
    return reply_error(from, ReplyError::not_operator);
  }
  Peer* target = directory_->find_peer(command.subject);
  if (adding && target && target->is_operator() && !from.is_operator()) {
    lock.unlock();
    return reply_error(from, ReplyError::not_operator);
  }
  std::string entry = entry_of(scope, user_key);
  if (!adding) {
    if (bans) {
      lift_ban_locked(from.name(), scope, user_key);
    } else if (list.erase(entry) != 0) {
      moderated_.fetch_sub(1, std::memory_order_relaxed);
      directory_->moderated(from.name(), false, scope, user_key, false);
    }
    lock.unlock();
    return reply(from, {.notice = Notice::ok});
  }
  if (!list.contains(entry)) {
    const std::size_t max = max_bans_.load(std::memory_order_relaxed);
    if (max != 0 && bans_.size() + mutes_.size() >= max) {
      lock.unlock();
      return reply_error(from, ReplyError::too_many_bans);
    }
    if (bans) {
      add_ban_locked(from.name(), scope, user_key);
    } else {
      list.insert(std::move(entry));
      moderated_.fetch_add(1, std::memory_order_relaxed);
      directory_->moderated(from.name(), false, scope, user_key, true);
    }
  }
  reply(from, {.notice = Notice::ok});
  if (command.verb == Verb::ban) enforce_ban_locked(from.name(), scope, user_key);
}

void Hub::enforce_ban_locked(std::string_view by, std::string_view scope, std::string_view name) {
  if (is_ban_mask(name)) {  // every member the mask takes
    const std::string room_key(scope);
    std::vector<std::string_view> names;
    if (!directory_->list_members(room_key, names)) return;
    std::vector<Peer*> taken;
    for (auto member : names) {
      Peer* peer = directory_->find_peer(member);
      if (peer && !peer->is_operator() && matches_mask(name, mask_subject(*peer))) {
        taken.push_back(peer);
      }
    }
    for (Peer* peer : taken) {
      if (directory_->is_member(*peer, room_key)) kick_locked(by, *peer, room_key, "banned");
    }
    return;
  }
  Peer* target = directory_->find_peer(name);
  if (!target) return;
  if (scope != server_wide) {  // out of the room, if in it
    const std::string room_key(scope);
    if (directory_->is_member(*target, room_key)) kick_locked(by, *target, room_key, "banned");
    return;
  }
  expel(*target, Notice::banned);
}

void Hub::expel_locked(std::string_view name, Notice why) {
  if (Peer* target = directory_->find_peer(name)) expel(*target, why);
}

void Hub::expel(Peer& target, Notice why) {
  // Its last words, then its connection ends as after QUIT.
  target.expel(target.encoder().encode({.notice = why}));
}

void Hub::kicked_elsewhere_locked(std::string_view by, bool by_operator, std::string_view name,
                                  std::string_view room_key, std::string_view reason) {
  Peer* target = directory_->find_peer(name);
  const std::string key(room_key);
  if (!target || !directory_->is_member(*target, key)) return;  // gone meanwhile
  if (target->is_operator() && !by_operator) return;            // as a KICK made here
  kick_locked(by, *target, key, reason);
}

void Hub::moderated_elsewhere_locked(std::string_view by, bool ban, std::string_view scope,
                                     std::string_view user_key, bool added) {
  auto& list = ban ? bans_ : mutes_;
  std::string entry = entry_of(scope, user_key);
  const std::size_t masks = ban && is_ban_mask(user_key) ? 1 : 0;
  if (!added) {
    if (list.erase(entry) != 0) {
      moderated_.fetch_sub(1, std::memory_order_relaxed);
      ban_masks_ -= masks;
    }
    return;
  }
  if (list.insert(std::move(entry)).second) {
    moderated_.fetch_add(1, std::memory_order_relaxed);
    ban_masks_ += masks;
  }
  if (ban) enforce_ban_locked(by, scope, user_key);
}

void Hub::replace_moderation_locked(std::vector<std::string> bans, std::vector<std::string> mutes) {
  bans_ = {std::make_move_iterator(bans.begin()), std::make_move_iterator(bans.end())};
  mutes_ = {std::make_move_iterator(mutes.begin()), std::make_move_iterator(mutes.end())};
  moderated_.store(bans_.size() + mutes_.size(), std::memory_order_relaxed);
  ban_masks_ = static_cast<std::size_t>(std::count_if(
      bans_.begin(), bans_.end(), [](const std::string& entry) { return is_ban_mask(entry); }));
}

}  // namespace socketchat::detail
