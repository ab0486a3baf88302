// The Hub's messages: MSG, DM and SAY (moderated, kept in history, then delivered)
// and HISTORY.
#include <charconv>
#include <chrono>
#include <mutex>

#include "hub/encode_once.hpp"
#include "hub/hub.hpp"
#include "store/history_writer.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

constexpr std::size_t default_history_count = 50;
constexpr std::size_t max_history_count = 500;

// "n" of HISTORY: a whole number from 1 up; a larger one than the maximum means the
// maximum. Nothing given means the default.
std::optional<std::size_t> parse_count(std::string_view text) {
  if (text.empty()) return default_history_count;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::size_t n = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error == std::errc::result_out_of_range) return max_history_count;
  if (error != std::errc{} || n == 0) return std::nullopt;
  return std::min(n, max_history_count);
}

// "#<room>", built by append: GCC 12 misreads `"#" + string` as overlapping (-Wrestrict).
std::string room_scope(std::string_view room_key) {
  std::string scope;
  scope.reserve(room_key.size() + 1);
  scope.push_back('#');
  scope.append(room_key);
  return scope;
}

// Only the records stamped at or after `since_ms`. They come oldest first, stamped in
// that order, so what is left of the latest n is the latest n of those.
void drop_older(std::vector<HistoryRecord>& records, std::int64_t since_ms) {
  std::erase_if(records, [since_ms](const HistoryRecord& r) { return r.unix_ms < since_ms; });
}

}  // namespace

Hub::After Hub::message(Peer& from, std::string_view text) {
  std::string rewritten;
  if (!moderate(from, {}, text, rewritten)) return After::stay;
  if (!store_) {
    route_message(from, text);
    return After::stay;
  }
  return store_then_deliver(
      from, {.scope = "*", .unix_ms = 0, .from = from.name(), .text = std::string(text)},
      [this](Peer& sender, const HistoryRecord& record) { route_message(sender, record.text); });
}

Hub::After Hub::direct_message(Peer& from, std::string_view to, std::string_view text) {
  // The recipient's spelling, for the filter and for history's scope.
  std::string target;
  {
    std::shared_lock lock(mutex_);
    if (auto it = users_.find(ascii_lower(to)); it != users_.end()) target = it->second->name();
  }
  if (target.empty()) {
    reply_error(from, ReplyError::no_such_user);
    return After::stay;
  }
  std::string rewritten;
  if (!moderate(from, target, text, rewritten)) return After::stay;
  if (!store_) {
    route_direct(from, target, text);
    return After::stay;
  }
  HistoryRecord record{.scope = dm_scope(from.name(), target),
                       .unix_ms = 0,
                       .from = from.name(),
                       .text = std::string(text)};
  return store_then_deliver(from, std::move(record),
                            [this, target](Peer& sender, const HistoryRecord& kept) {
                              route_direct(sender, target, kept.text);
                            });
}

Hub::After Hub::say(Peer& from, std::string_view room, std::string_view text) {
  std::string room_key = ascii_lower(room);
  if (!is_member(from, room_key)) {
    reply_error(from, ReplyError::not_in_room);
    return After::stay;
  }
  std::string rewritten;
  if (!moderate(from, {}, text, rewritten)) return After::stay;
  if (!store_) {
    route_room(from, room_key, text);
    return After::stay;
  }
  HistoryRecord record{
      .scope = room_scope(room_key), .unix_ms = 0, .from = from.name(), .text = std::string(text)};
  return store_then_deliver(from, std::move(record),
                            [this, room_key](Peer& sender, const HistoryRecord& kept) {
                              route_room(sender, room_key, kept.text);
                            });
}

void Hub::route_message(Peer& from, std::string_view text) {
  {
    std::shared_lock lock(mutex_);
    broadcast_locked({.notice = Notice::message, .user = from.name(), .text = text}, &from);
  }
  publish(EventKind::message, from, {}, text);
}

void Hub::route_direct(Peer& from, std::string_view to, std::string_view text) {
  std::string target;
  {
    std::shared_lock lock(mutex_);
    if (auto it = users_.find(ascii_lower(to)); it != users_.end()) {
      Peer& recipient = *it->second;
      reply(recipient, {.notice = Notice::direct_message, .user = from.name(), .text = text});
      target = recipient.name();
    }
  }
  // A recipient gone since the check is no error: the message is in their history.
  publish(EventKind::direct_message, from, target.empty() ? to : std::string_view(target), text);
}

void Hub::route_room(Peer& from, std::string_view room_key, std::string_view text) {
  std::string spelled;
  {
    std::shared_lock lock(mutex_);
    const auto* room = rooms_.find(room_key);
    if (!room) return;
    broadcast_room_locked(
        *room,
        {.notice = Notice::room_message, .user = from.name(), .text = text, .room = room->name},
        &from);
    spelled = room->name;
  }
  publish(EventKind::room_message, from, spelled, text);
}

bool Hub::moderate(Peer& from, std::string_view to, std::string_view& text, std::string& storage) {
  if (!filter_) return true;
  MessageDraft draft{.from = from.name(), .to = to, .text = std::string(text)};
  Verdict verdict = Verdict::reject;
  std::string failure;
  try {
    verdict = filter_(draft);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    Event event{.kind = EventKind::error,
                .time = {},
                .connection = from.id(),
                .remote = from.remote(),
                .user = from.name(),
                .text = failure,
                .detail = "filter-failed"};
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

Hub::After Hub::store_then_deliver(Peer& from, HistoryRecord record, Delivery deliver) {
  // The record's time is stamped where its place in the store is decided (here under
  // inline_mutex_, or on the writer's thread), so history is ordered by time too.
  if (!writer_) {  // a store that does not block: keep it right here
    try {
      std::lock_guard lock(inline_mutex_);
      record.unix_ms = inline_clock_.stamp();
      store_->append({&record, 1});
    } catch (const std::exception& e) {
      Event event{.kind = EventKind::error,
                  .time = {},
                  .connection = from.id(),
                  .remote = from.remote(),
                  .user = from.name(),
                  .text = e.what(),
                  .detail = "history-write-failed"};
      bus_.publish(event);
      reply_error(from, ReplyError::storage_failed);
      return After::stay;
    }
    deliver(from, record);
    return After::stay;
  }
  work_.fetch_add(1, std::memory_order_relaxed);
  writer_->append(std::move(record), [peer = from.shared_peer(), deliver = std::move(deliver)](
                                         bool stored, HistoryRecord& kept) mutable {
    peer->defer([peer, deliver = std::move(deliver), stored, kept = std::move(kept)] {
      if (stored) {
        deliver(*peer, kept);
      } else {
        reply_error(*peer, ReplyError::storage_failed);
      }
    });
  });
  return After::pending;
}

Hub::After Hub::history(Peer& from, std::string_view target, std::string_view count) {
  if (from.closing()) return After::stay;  // nothing it is sent now would be delivered
  auto limit = parse_count(count);
  if (!limit) {
    reply_error(from, ReplyError::invalid_count);
    return After::stay;
  }
  std::string scope;
  // A name has no owner while there are no accounts: whoever logs in as bob may read
  // the DMs of this session only, never those of an earlier bob (PROTOCOL.md, History).
  std::int64_t since_ms = 0;
  if (target == "*") {
    scope = "*";
  } else if (target.front() == '@') {
    scope = dm_scope(from.name(), target.substr(1));
    since_ms = from.login_unix_ms();
  } else {
    scope = room_scope(ascii_lower(target));
    if (!is_member(from, scope.substr(1))) {
      reply_error(from, ReplyError::not_in_room);
      return After::stay;
    }
  }
  if (!store_) {
    reply(from, {.notice = Notice::history, .room = target});
    return After::stay;
  }
  if (!writer_) {
    std::optional<std::vector<HistoryRecord>> records;
    std::string failure;
    try {
      records = store_->latest(scope, *limit);
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown exception";
    }
    if (!records) {  // not "no history": the client is told that the store failed
      Event event{.kind = EventKind::error,
                  .time = {},
                  .connection = from.id(),
                  .remote = from.remote(),
                  .user = from.name(),
                  .text = failure,
                  .detail = "history-read-failed"};
      bus_.publish(event);
      reply_error(from, ReplyError::storage_failed);
      return After::stay;
    }
    drop_older(*records, since_ms);
    reply_list(from, {.notice = Notice::history, .room = target, .history = *records});
    return After::stay;
  }
  work_.fetch_add(1, std::memory_order_relaxed);
  writer_->latest(std::move(scope), *limit,
                  [this, peer = from.shared_peer(), label = std::string(target),
                   since_ms](std::optional<std::vector<HistoryRecord>> records) mutable {
                    peer->defer([this, peer, label = std::move(label), since_ms,
                                 records = std::move(records)]() mutable {
                      if (!records) {  // the writer has reported it
                        reply_error(*peer, ReplyError::storage_failed);
                        return;
                      }
                      drop_older(*records, since_ms);
                      reply_list(*peer,
                                 {.notice = Notice::history, .room = label, .history = *records});
                    });
                  });
  return After::wait;
}

std::int64_t Hub::history_mark() {
  if (writer_) return writer_->mark();
  std::lock_guard lock(inline_mutex_);
  return inline_clock_.mark();
}

}  // namespace socketchat::detail
