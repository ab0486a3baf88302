// A room's operators, modes, topic and invitations (PROTOCOL.md, Operators, room
// operators and modes): TOPIC, MODE, INVITE, and the checks of JOIN and SAY they make.
#include <charconv>
#include <chrono>
#include <mutex>

#include "hub/hub.hpp"
#include "hub/mode_changes.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool is_valid_key(std::string_view key) {
  if (key.empty() || key.size() > RoomState::max_key_bytes) return false;
  for (unsigned char c : key) {
    if (c <= ' ' || c == ',' || c == 0x7F) return false;
  }
  return true;
}

}  // namespace

bool Hub::runs_room_locked(const Peer& from, const RoomState* state) const {
  return from.is_operator() || (state && state->is_operator(ascii_lower(from.name())));
}

std::optional<ReplyError> Hub::may_join_locked(const Peer& from, const std::string& room_key,
                                               std::string_view key) const {
  if (banned_from_room_locked(room_key, from)) return ReplyError::banned;
  const RoomState* state = directory_->room_state(room_key);
  if (!state || directory_->is_member(from, room_key)) return std::nullopt;
  if (state->invited.empty() ? false : RoomState::holds(state->invited, ascii_lower(from.name()))) {
    return std::nullopt;  // an invitation lets its user past i, k and l
  }
  if (state->invite_only) return ReplyError::invite_only;
  if (!state->key.empty() && key != state->key) return ReplyError::bad_key;
  if (state->limit != 0 && directory_->member_count(room_key) >= state->limit) {
    return ReplyError::room_full;
  }
  return std::nullopt;
}

std::optional<ReplyError> Hub::may_say_locked(const Peer& from, const std::string& room_key) const {
  const bool member = directory_->is_member(from, room_key);
  const RoomState* state = directory_->room_state(room_key);
  if (!state) {
    if (!member) return ReplyError::not_in_room;
    return std::nullopt;  // a cluster's room this server keeps no state of
  }
  if (!member && state->members_only) return ReplyError::not_in_room;
  if (state->moderated && !from.is_operator()) {
    const std::string user_key = ascii_lower(from.name());
    if (!state->is_operator(user_key) && !state->is_voiced(user_key)) return ReplyError::moderated;
  }
  return std::nullopt;
}

void Hub::topic(Peer& from, std::string_view room) {
  std::shared_lock lock(mutex_);  // the views point into the directory until encoded
  const std::string room_key = ascii_lower(room);
  const RoomState* state = directory_->room_state(room_key);
  const std::string_view spelled = directory_->room_name(room_key);
  if (spelled.empty()) {
    lock.unlock();
    return reply_error(from, ReplyError::no_such_room);
  }
  if (!state) return reply(from, {.notice = Notice::topic, .room = spelled});
  reply(from, {.notice = Notice::topic,
               .text = state->topic,
               .room = spelled,
               .by = state->topic_by,
               .time_ms = state->topic_ms});
}

void Hub::set_topic(Peer& from, std::string_view room, std::string_view text) {
  const std::string room_key = ascii_lower(room);
  std::unique_lock lock(mutex_);
  RoomState* state = directory_->room_state_to_change(room_key);
  std::optional<ReplyError> refusal;
  const bool member = state && directory_->is_member(from, room_key);
  if (!state) {
    refusal = ReplyError::no_such_room;
  } else if (!member && !from.is_operator()) {
    refusal = ReplyError::not_in_room;
  } else if (state->topic_locked && !runs_room_locked(from, state)) {
    refusal = ReplyError::not_operator;
  }
  if (refusal) {
    lock.unlock();
    return reply_error(from, *refusal);
  }
  state->topic.assign(utf8_head(text, RoomState::max_topic_bytes));
  state->topic_by.assign(from.name());
  state->topic_ms = now_ms();
  reply(from, {.notice = Notice::ok});
  const ServerMessage changed{.notice = Notice::topic_changed,
                              .text = state->topic,
                              .room = directory_->room_name(room_key),
                              .by = from.name(),
                              .identity = from.identity(),
                              .time_ms = state->topic_ms};
  delivery_->to_room(room_key, changed, nullptr);
  if (!member) reply(from, changed);
}

void Hub::invite(Peer& from, std::string_view room, std::string_view user) {
  if (room.empty() || user.empty()) return reply_error(from, ReplyError::missing_argument);
  const std::string room_key = ascii_lower(room);
  std::unique_lock lock(mutex_);
  RoomState* state = directory_->room_state_to_change(room_key);
  Peer* target = directory_->find_peer(user);
  std::optional<ReplyError> refusal;
  if (!state) {
    refusal = ReplyError::no_such_room;
  } else if (!directory_->is_member(from, room_key) && !from.is_operator()) {
    refusal = ReplyError::not_in_room;
  } else if (state->invite_only && !runs_room_locked(from, state)) {
    refusal = ReplyError::not_operator;
  } else if (!target) {
    refusal = ReplyError::no_such_user;
  } else if (directory_->is_member(*target, room_key)) {
    refusal = ReplyError::already_in_room;
  }
  if (refusal) {
    lock.unlock();
    return reply_error(from, *refusal);
  }
  state->invite(ascii_lower(target->name()));
  const std::string_view spelled = directory_->room_name(room_key);
  reply(from, {.notice = Notice::ok, .user = target->name(), .room = spelled});
  if (!target->closing()) {
    target->send(target->encoder().encode({.notice = Notice::invited,
                                           .user = target->name(),
                                           .room = spelled,
                                           .by = from.name(),
                                           .identity = from.identity()}));
  }
}

void Hub::mode(Peer& from, std::string_view room, std::string_view text) {
  const std::string room_key = ascii_lower(room);
  text = trim(text);
  if (text.empty() || text == "b" || text == "+b") {
    std::shared_lock lock(mutex_);
    const RoomState* state = directory_->room_state(room_key);
    if (!state) {  // none here (on a cluster: none on this node, whose modes they are)
      lock.unlock();
      return reply_error(from, ReplyError::no_such_room);
    }
    const std::string_view spelled = directory_->room_name(room_key);
    if (text.empty()) {
      const bool shows_key = directory_->is_member(from, room_key) || from.is_operator();
      const std::string modes = state->modes(shows_key);
      return reply(from, {.notice = Notice::room_modes,
                          .text = modes,
                          .room = spelled,
                          .time_ms = state->created_ms});
    }
    std::vector<std::string> shown = room_bans_locked(room_key);
    std::vector<std::string_view> masks(shown.begin(), shown.end());
    return reply_list(from, {.notice = Notice::ban_list, .room = spelled, .names = masks});
  }
  change_modes(from, room_key, text);
}

void Hub::change_modes(Peer& from, const std::string& room_key, std::string_view text) {
  const ModeChanges parsed = parse_mode_changes(text);
  if (parsed.result != ModeChanges::Result::ok) {
    const std::string letter(1, parsed.bad);
    ++from.refusals_;
    return reply(from, {.notice = Notice::error,
                        .error = parsed.result == ModeChanges::Result::unknown_mode
                                     ? ReplyError::unknown_mode
                                     : ReplyError::missing_argument,
                        .user = letter});
  }
  std::unique_lock lock(mutex_);
  RoomState* state = directory_->room_state_to_change(room_key);
  // Every change is checked before any is made: all or nothing.
  auto refuse = [&](ReplyError error, std::string_view about = {}) {
    lock.unlock();
    ++from.refusals_;
    reply(from, {.notice = Notice::error, .error = error, .user = about});
  };
  // A bad argument is told with its letter: "l abc" (IRC's 696).
  auto refuse_argument = [&](ReplyError error, const ModeChange& change) {
    std::string about(1, change.letter);
    about.append(" ").append(change.argument);
    refuse(error, about);
  };
  if (!state) return refuse(ReplyError::no_such_room);
  if (!runs_room_locked(from, state)) return refuse(ReplyError::not_operator);
  std::vector<std::string> ban_entries(parsed.changes.size());
  std::size_t new_bans = 0;
  for (std::size_t i = 0; i < parsed.changes.size(); ++i) {
    const ModeChange& change = parsed.changes[i];
    switch (change.letter) {
      case 'o':
      case 'v': {
        Peer* target = directory_->find_peer(change.argument);
        if (!target || !directory_->is_member(*target, room_key)) {
          return refuse(ReplyError::no_such_user, change.argument);
        }
        break;
      }
      case 'k':
        if (change.add && !is_valid_key(change.argument)) {
          return refuse_argument(ReplyError::invalid_argument, change);
        }
        break;
      case 'l': {
        std::size_t limit = 0;
        const auto* end = change.argument.data() + change.argument.size();
        if (!change.add) break;
        if (std::from_chars(change.argument.data(), end, limit).ptr != end || limit == 0 ||
            limit > RoomState::max_limit) {
          return refuse_argument(ReplyError::invalid_argument, change);
        }
        break;
      }
      case 'b':
        ban_entries[i] = ban_entry_of(change.argument);
        if (ban_entries[i].empty()) return refuse_argument(ReplyError::invalid_argument, change);
        if (change.add && !listed_locked(bans_, room_key, ban_entries[i])) ++new_bans;
        break;
      default:
        break;
    }
  }
  const std::size_t max = max_bans_.load(std::memory_order_relaxed);
  if (new_bans != 0 && max != 0 && bans_.size() + mutes_.size() + new_bans > max) {
    return refuse(ReplyError::too_many_bans);
  }
  // Made: each change that changes something is told, as given.
  std::vector<ModeChange> made;
  std::vector<std::string> shown_bans;
  shown_bans.reserve(parsed.changes.size());  // views into it stay valid
  std::vector<std::string> kicks;             // the ban entries to enforce
  for (std::size_t i = 0; i < parsed.changes.size(); ++i) {
    ModeChange change = parsed.changes[i];
    bool changed = false;
    switch (change.letter) {
      case 'o':
      case 'v': {
        Peer* target = directory_->find_peer(change.argument);
        auto& list = change.letter == 'o' ? state->operators : state->voiced;
        changed = RoomState::set(list, ascii_lower(target->name()), change.add);
        change.argument = target->name();
        break;
      }
      case 't':
        changed = std::exchange(state->topic_locked, change.add) != change.add;
        break;
      case 'n':
        changed = std::exchange(state->members_only, change.add) != change.add;
        break;
      case 'm':
        changed = std::exchange(state->moderated, change.add) != change.add;
        break;
      case 'i':
        changed = std::exchange(state->invite_only, change.add) != change.add;
        break;
      case 'k':
        if (change.add) {
          changed = state->key != change.argument;
          state->key.assign(change.argument);
        } else {
          changed = !state->key.empty();
          change.argument = changed ? "*" : "";
          state->key.clear();
        }
        break;
      case 'l':
        if (change.add) {
          const std::size_t before = state->limit;
          std::from_chars(change.argument.data(), change.argument.data() + change.argument.size(),
                          state->limit);
          changed = before != state->limit;
        } else {
          changed = std::exchange(state->limit, 0) != 0;
        }
        break;
      case 'b':
        changed = change.add ? add_ban_locked(from.name(), room_key, ban_entries[i])
                             : lift_ban_locked(from.name(), room_key, ban_entries[i]);
        if (changed && change.add) kicks.push_back(ban_entries[i]);
        change.argument = shown_bans.emplace_back(shown_ban(ban_entries[i]));
        break;
      default:
        break;
    }
    if (changed) made.push_back(change);
  }
  reply(from, {.notice = Notice::ok});
  if (made.empty()) return;
  const std::string spelled(directory_->room_name(room_key));
  const std::string changes = spell_mode_changes(made);
  const ServerMessage told{.notice = Notice::modes_changed,
                           .text = changes,
                           .room = spelled,
                           .by = from.name(),
                           .identity = from.identity()};
  const bool member = directory_->is_member(from, room_key);
  delivery_->to_room(room_key, told, nullptr);
  if (!member) reply(from, told);
  for (const auto& entry : kicks) enforce_ban_locked(from.name(), room_key, entry);
}

}  // namespace socketchat::detail
