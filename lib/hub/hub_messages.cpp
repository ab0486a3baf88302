// The Hub's messages: MSG, DM and SAY, moderated, kept in history, then delivered.
#include <chrono>
#include <mutex>

#include "hub/hub.hpp"
#include "hub/peer_events.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

template <class Deliver>
Hub::After Hub::keep_then_deliver(Peer& from, std::string scope, std::string_view text,
                                  Deliver deliver) {
  HistoryRecord record{
      .scope = std::move(scope), .unix_ms = 0, .from = from.name(), .text = std::string(text)};
  // Delivered where the store answers, in the order it answers (ids rising: nobody sees
  // a later message before an earlier one, so a client resuming from the last id it
  // saw misses nothing); only the sender's own answer waits for its strand.
  return answered(
      from, history_.answers_later(), After::pending,
      [&](auto done) { history_.append(from, std::move(record), std::move(done)); },
      [deliver = std::move(deliver)](Peer& sender, bool stored, const HistoryRecord& kept,
                                     const std::string& epoch) {
        if (stored) {
          deliver(
              sender, kept.text,
              KeptAs{.from = kept.from, .epoch = epoch, .id = kept.id, .time_ms = kept.unix_ms});
        }
      },
      [](Peer& sender, bool stored, const HistoryRecord&, const std::string&) {
        if (!stored) reply_error(sender, ReplyError::storage_failed);
      });
}

std::int64_t KeptAs::stamp() const noexcept {
  if (id != 0) return time_ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Who a message is from: the name it was kept under, which a RENAME since (on the
// sender's strand, while the message is delivered elsewhere) does not change.
std::string_view sender_of(const Peer& from, const KeptAs& kept) {
  return kept.from.empty() ? std::string_view(from.name()) : kept.from;
}

}  // namespace

std::string Hub::room_scope(std::string_view room_key) {
  // Built by append: GCC 12 misreads `"#" + string` as overlapping (-Wrestrict).
  std::string scope;
  scope.reserve(room_key.size() + 1);
  scope.push_back('#');
  scope.append(room_key);
  return scope;
}

Hub::After Hub::message(Peer& from, const Command& command) {
  const MessageKind kind = command.kind;
  std::string_view text = command.text;
  if (silenced(from, {})) return After::stay;
  std::string rewritten;
  if (!moderate(from, {}, text, rewritten)) return After::stay;
  if (!history_.enabled() || !is_stored_kind(kind)) {
    if (may_deliver_unstored(from)) route_message(from, text, kind, command.label);
    return After::stay;
  }
  return keep_then_deliver(from, "*", text,
                           [this, kind, label = std::string(command.label)](
                               Peer& sender, std::string_view kept, const KeptAs& as) {
                             route_message(sender, kept, kind, label, as);
                           });
}

Hub::After Hub::direct_message(Peer& from, const Command& command) {
  const std::string_view to = command.name;
  const MessageKind kind = command.kind;
  std::string_view text = command.text;
  if (silenced(from, {})) return After::stay;
  // The recipient's spelling, for the filter and for history's scope.
  std::string target;
  {
    std::shared_lock lock(mutex_);
    target = directory_->find_user(to);
  }
  if (target.empty()) {
    reply_error(from, ReplyError::no_such_user);
    return After::stay;
  }
  std::string rewritten;
  if (!moderate(from, target, text, rewritten)) return After::stay;
  // A NOTICE (and a CTCP reply, which is one) is never answered automatically.
  if (kind == MessageKind::text || kind == MessageKind::ctcp) tell_if_away(from, target);
  if (!history_.enabled() || !is_stored_kind(kind)) {
    if (may_deliver_unstored(from)) route_direct(from, target, text, kind, command.label);
    return After::stay;
  }
  std::string scope = dm_scope(from.name(), target);
  return keep_then_deliver(
      from, std::move(scope), text,
      [this, target = std::move(target), kind, label = std::string(command.label)](
          Peer& sender, std::string_view kept, const KeptAs& as) {
        route_direct(sender, target, kept, kind, label, as);
      });
}

Hub::After Hub::say(Peer& from, const Command& command) {
  const MessageKind kind = command.kind;
  std::string_view text = command.text;
  std::string room_key = ascii_lower(command.name);
  std::optional<ReplyError> refusal;
  {
    std::shared_lock lock(mutex_);
    refusal = may_say_locked(from, room_key);
  }
  if (refusal) {
    reply_error(from, *refusal);
    return After::stay;
  }
  if (silenced(from, room_key)) return After::stay;
  std::string rewritten;
  if (!moderate(from, {}, text, rewritten)) return After::stay;
  if (!history_.enabled() || !is_stored_kind(kind)) {
    if (may_deliver_unstored(from)) route_room(from, room_key, text, kind, command.label);
    return After::stay;
  }
  std::string scope = room_scope(room_key);
  return keep_then_deliver(
      from, std::move(scope), text,
      [this, room_key = std::move(room_key), kind, label = std::string(command.label)](
          Peer& sender, std::string_view kept, const KeptAs& as) {
        route_room(sender, room_key, kept, kind, label, as);
      });
}

void Hub::tell_if_away(Peer& from, std::string_view to) {
  std::shared_lock lock(mutex_);
  if (away_.empty()) return;  // the usual case
  if (auto away = away_.find(ascii_lower(to)); away != away_.end()) {
    reply(from, {.notice = Notice::away, .user = to, .text = away->second});
  }
}

bool Hub::may_deliver_unstored(Peer& from) {
  // Nothing stored, so nothing to deliver later: what cannot go out now is refused.
  if (delivery_->accepting()) return true;
  reply_error(from, ReplyError::storage_failed);
  return false;
}

ServerMessage Hub::chat_message(Notice notice, const Peer& from, std::string_view text,
                                MessageKind kind, const KeptAs& kept) {
  return {.notice = notice,
          .user = sender_of(from, kept),
          .text = text,
          .identity = from.identity(),
          .kind = kind,
          .epoch = kept.epoch,
          .id = kept.id,
          .time_ms = kept.stamp()};
}

const Peer* Hub::left_out(const Peer& from, bool labeled) {
  return from.echoes() && !labeled ? nullptr : &from;
}

bool Hub::echoed_as_reply_locked(const Peer& from, std::string_view room_key, bool labeled) const {
  // A sender outside the room (mode -n) is not among those it went to.
  return from.echoes() && (labeled || !directory_->is_member(from, room_key));
}

bool Hub::labeled_echo(const Peer& from, const ServerMessage& message,
                       std::string_view label) const {
  return !label.empty() && from.echoes() && !delivery_->delivers_later(message);
}

void Hub::route_message(Peer& from, std::string_view text, MessageKind kind, std::string_view label,
                        KeptAs kept) {
  if (gathered(from, false, {}, text, kind, label, kept)) return;
  {
    std::shared_lock lock(mutex_);
    ServerMessage message = chat_message(Notice::message, from, text, kind, kept);
    const bool labeled = labeled_echo(from, message, label);
    delivery_->to_everyone(message, left_out(from, labeled));
    if (labeled) {
      message.label = label;
      reply(from, message);
    }
  }
  publish(EventKind::message, from, {}, text, sender_of(from, kept));
}

void Hub::route_direct(Peer& from, std::string_view to, std::string_view text, MessageKind kind,
                       std::string_view label, KeptAs kept) {
  deliver_gathered();
  std::string target;
  {
    std::shared_lock lock(mutex_);
    ServerMessage message = chat_message(Notice::direct_message, from, text, kind, kept);
    message.to = to;
    target = delivery_->to_user(to, message);
    // Its echo, unless it went to its sender already (a DM to oneself).
    if (from.echoes() && !iequals_ascii(to, sender_of(from, kept))) {
      message.label = label;
      reply(from, message);
    }
  }
  // A recipient gone since the check is no error: the message is in their history.
  publish(EventKind::direct_message, from, target.empty() ? to : std::string_view(target), text,
          sender_of(from, kept));
}

void Hub::route_room(Peer& from, std::string_view room_key, std::string_view text, MessageKind kind,
                     std::string_view label, KeptAs kept) {
  if (gathered(from, true, room_key, text, kind, label, kept)) return;
  std::string spelled;
  {
    std::shared_lock lock(mutex_);
    const ServerMessage message = chat_message(Notice::room_message, from, text, kind, kept);
    const bool labeled = labeled_echo(from, message, label);
    spelled = delivery_->to_room(room_key, message, left_out(from, labeled));
    if (!spelled.empty() && echoed_as_reply_locked(from, room_key, labeled)) {
      ServerMessage echoed = message;
      echoed.room = spelled;
      if (labeled) echoed.label = label;
      reply(from, echoed);
    }
  }
  if (spelled.empty()) return;  // the room is gone
  publish(EventKind::room_message, from, spelled, text, sender_of(from, kept));
}

bool Hub::moderate(Peer& from, std::string_view to, std::string_view& text, std::string& storage) {
  if (!filter_) return true;
  MessageDraft draft{.from = from.name(), .to = to, .text = std::string(text)};
  Verdict verdict = Verdict::reject;
  if (auto failure = failure_of([&] { verdict = filter_(draft); })) {
    publish_failure(bus_, from, "filter-failed", *failure);
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

}  // namespace socketchat::detail
