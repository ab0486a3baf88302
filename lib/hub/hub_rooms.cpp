// The Hub's rooms: JOIN, PART, WHO <room> and ROOMS.
#include <mutex>
#include <vector>

#include "hub/hub.hpp"
#include "hub/message_id.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

std::optional<ReplyError> refusal_of(Joined joined) {
  switch (joined) {
    case Joined::ok:
    case Joined::later:
      break;
    case Joined::already_in:
      return ReplyError::already_in_room;
    case Joined::too_many_for_user:
      return ReplyError::too_many_rooms;
    case Joined::too_many_rooms:
      return ReplyError::server_rooms_full;
    case Joined::failed:
      return ReplyError::storage_failed;
  }
  return std::nullopt;
}

// Who joined, as the members hear of it: with its account (IRC's extended-join).
UserIdentity joiner(const Peer& from) {
  UserIdentity identity = from.identity();
  if (from.account()) identity.account = from.name();
  return identity;
}

}  // namespace

// The joiner's OK and the others' notice go out with the change, under the lock, so
// that nobody hears of the room's next message before them.
Hub::After Hub::join(Peer& from, std::string_view room, std::string_view key,
                     std::string_view since) {
  if (!is_valid_name(room)) {
    reply_error(from, ReplyError::invalid_room);
    return After::stay;
  }
  const std::string room_key = ascii_lower(room);
  // JOIN ... SINCE <id>: the replay is read once the user is a member, so that every
  // message of the room is in it or delivered live (PROTOCOL.md, Resuming).
  std::optional<HistoryAsk> resume;
  if (!since.empty()) {
    auto id = parse_message_id(since);
    if (!id) {
      reply_error(from, ReplyError::invalid_id);
      return After::stay;
    }
    resume = HistoryAsk{.of = HistoryOf::room,
                        .scope = room_scope(room_key),
                        .anchor = HistoryAnchor::since,
                        .ref = {.epoch = std::string(id->epoch), .id = id->n},
                        .limit = max_resume_count};
  }
  const RoomLimits limits{.rooms = max_rooms_.load(std::memory_order_relaxed),
                          .rooms_per_user = max_rooms_per_user_.load(std::memory_order_relaxed)};
  std::unique_lock lock(mutex_);
  if (auto refusal = may_join_locked(from, room_key, key)) {
    lock.unlock();
    reply_error(from, *refusal);
    return After::stay;
  }
  const Joined joined = directory_->join(from, room, room_key, limits);
  if (joined == Joined::ok) {
    if (RoomState* state = directory_->room_state_to_change(room_key);
        state && !state->invited.empty()) {
      RoomState::set(state->invited, ascii_lower(from.name()), false);  // used
    }
  }
  if (joined == Joined::later) {  // join_finished_locked() answers
    if (resume) resumes_.insert_or_assign(from.id(), std::move(*resume));
    work_.fetch_add(1, std::memory_order_relaxed);
    return After::wait;
  }
  if (auto refusal = refusal_of(joined)) {
    lock.unlock();
    reply_error(from, *refusal);
    return After::stay;
  }
  reply(from, {.notice = Notice::ok});
  const std::string spelled(directory_->room_name(room_key));
  delivery_->to_room(
      room_key,
      {.notice = Notice::joined, .user = from.name(), .room = spelled, .identity = joiner(from)},
      &from);
  lock.unlock();  // sinks are called outside the Hub's lock
  publish(EventKind::joined, from, spelled);
  if (!resume) return After::stay;
  resume->name = spelled;
  return read_history(from, std::move(*resume));
}

void Hub::join_finished_locked(Peer& from, Joined joined, const std::string& room_key) {
  // The others hear of it now, with the change; the joiner on its own strand, where its
  // replies are made, as soon as it gets there.
  std::string spelled;
  if (joined == Joined::ok) {
    spelled = directory_->room_name(room_key);
    delivery_->to_room(
        room_key,
        {.notice = Notice::joined, .user = from.name(), .room = spelled, .identity = joiner(from)},
        &from);
  }
  std::optional<HistoryAsk> resume;
  if (auto asked = resumes_.find(from.id()); asked != resumes_.end()) {
    resume = std::move(asked->second);
    resumes_.erase(asked);
  }
  auto finish = [this, peer = from.shared_peer(), joined, spelled = std::move(spelled)](
                    const HistoryAsk* ask, std::optional<HistoryPage>* page) {
    if (auto refusal = refusal_of(joined)) return reply_error(*peer, *refusal);
    reply(*peer, {.notice = Notice::ok});
    publish(EventKind::joined, *peer, spelled);
    if (!ask) return;
    if (!*page) return reply_error(*peer, ReplyError::storage_failed);  // reported
    answer_history(*peer, *ask, std::move(**page));
  };
  if (!resume || joined != Joined::ok || !history_.enabled()) {
    if (resume && joined == Joined::ok) {  // no history kept: an empty replay
      std::optional<HistoryPage> none = HistoryPage{};
      return from.defer(
          [finish, resume = std::move(*resume), none]() mutable { finish(&resume, &none); });
    }
    return from.defer([finish] { finish(nullptr, nullptr); });
  }
  // The replay is read now that the user is a member, and goes out after the OK.
  resume->name = directory_->room_name(room_key);
  std::string scope = resume->scope;
  HistoryQuery query = resume->query();
  history_.read(from, std::move(scope), std::move(query),
                [peer = from.shared_peer(), finish,
                 resume = std::move(*resume)](std::optional<HistoryPage> page) mutable {
                  peer->defer([finish, resume = std::move(resume),
                               page = std::move(page)]() mutable { finish(&resume, &page); });
                });
}

void Hub::part(Peer& from, std::string_view room, std::string_view reason) {
  const std::string room_key = ascii_lower(room);
  std::unique_lock lock(mutex_);
  const std::string spelled(directory_->room_name(room_key));  // the room may go with us
  if (!directory_->part(from, room_key)) {
    lock.unlock();
    return reply_error(from, ReplyError::not_in_room);
  }
  reply(from, {.notice = Notice::ok});
  announce_part_locked(from, room_key, spelled, reason);
  lock.unlock();  // sinks are called outside the Hub's lock
  publish(EventKind::left, from, spelled);
}

void Hub::announce_part_locked(Peer& from, std::string_view room_key, std::string_view spelled,
                               std::string_view reason) {
  delivery_->to_room(room_key,
                     {.notice = Notice::left,
                      .user = from.name(),
                      .text = reason,
                      .room = spelled,
                      .identity = from.identity()},
                     nullptr);
}

void Hub::part_all(Peer& from) {
  std::vector<std::string> keys, parted;
  std::unique_lock lock(mutex_);
  directory_->rooms_of(from, keys);
  for (const auto& key : keys) {
    std::string spelled(directory_->room_name(key));
    if (!directory_->part(from, key)) continue;
    // The asker sees its own PART of each, as the others do.
    reply(from, {.notice = Notice::left,
                 .user = from.name(),
                 .room = spelled,
                 .identity = from.identity()});
    announce_part_locked(from, key, spelled, {});
    parted.push_back(std::move(spelled));
  }
  lock.unlock();  // sinks are called outside the Hub's lock
  for (const auto& room : parted) publish(EventKind::left, from, room);
}

void Hub::who_in_room(Peer& from, std::string_view room) {
  if (from.closing()) return;  // nothing it is sent now would be delivered
  std::vector<std::string_view> names;
  std::shared_lock lock(mutex_);  // the names point into the directory: keep it until encoded
  const std::string room_key = ascii_lower(room);
  if (!directory_->list_members(room_key, names)) {
    lock.unlock();
    return reply_error(from, ReplyError::no_such_room);
  }
  std::vector<UserIdentity> identities;
  identities.reserve(names.size());
  for (auto name : names) identities.push_back(identity_locked(name));
  std::vector<RoomRoles> roles(names.size());
  if (const RoomState* state = directory_->room_state(room_key)) {
    std::string key;
    for (std::size_t i = 0; i < names.size(); ++i) {
      key = ascii_lower(names[i]);
      roles[i] = {.room_operator = state->is_operator(key), .voiced = state->is_voiced(key)};
    }
  }
  reply_list(
      from,
      {.notice = Notice::user_list, .names = names, .identities = identities, .roles = roles});
}

void Hub::list_rooms(Peer& from) {
  if (from.closing()) return;     // nothing it is sent now would be delivered
  std::shared_lock lock(mutex_);  // the names point into the directory: keep it until encoded
  auto list = kept_rooms_.at(directory_->rooms_version(), [&](std::vector<RoomSummary>& rooms) {
    directory_->list_rooms(rooms);
  });
  reply_list(from,
             {.notice = Notice::room_list, .rooms = list->entries, .list_version = list->version});
}

bool Hub::is_member(const Peer& peer, std::string_view room_key) const {
  std::shared_lock lock(mutex_);
  return directory_->is_member(peer, room_key);
}

}  // namespace socketchat::detail
