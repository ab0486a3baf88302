// The Hub's HISTORY: the latest messages of a room, of the public feed, or of the DMs
// with one user; those after or before a message id; and a JOIN's replay (SINCE).
#include <algorithm>
#include <charconv>

#include "hub/hub.hpp"
#include "hub/message_id.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

constexpr std::size_t default_history_count = 50;
constexpr std::size_t max_history_count = max_history_messages;

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

// Only the records stamped at or after `since_ms`. They come oldest first, stamped in
// that order, so what is left of the latest n is the latest n of those.
void drop_older(std::vector<HistoryRecord>& records, std::int64_t since_ms) {
  std::erase_if(records, [since_ms](const HistoryRecord& r) { return r.unix_ms < since_ms; });
}

}  // namespace

Hub::After Hub::history(Peer& from, const Command& command) {
  if (from.closing()) return After::stay;  // nothing it is sent now would be delivered
  auto limit = parse_count(command.text);
  if (!limit) {
    reply_error(from, ReplyError::invalid_count);
    return After::stay;
  }
  if (command.history_of == HistoryOf::conversations) return conversations(from, command, *limit);
  HistoryAsk ask{.of = command.history_of,
                 .name = std::string(command.name),
                 .scope = "*",
                 .anchor = command.anchor,
                 .limit = *limit,
                 .unknown_id_is_error = command.unknown_id_is_error};
  if (command.history_of == HistoryOf::user) {
    // A name has no owner while there are no accounts: whoever logs in as bob may read
    // the DMs of this session only, never those of an earlier bob (PROTOCOL.md, History).
    ask.scope = dm_scope(from.name(), command.name);
    ask.since_ms = from.login_unix_ms();
  } else if (command.history_of == HistoryOf::room) {
    const std::string room_key = ascii_lower(command.name);
    if (!is_member(from, room_key)) {
      reply_error(from, ReplyError::not_in_room);
      return After::stay;
    }
    ask.scope = room_scope(room_key);
  }
  // The references: needed but for the latest messages, where one is a lower bound.
  auto ref = history_ref(command.message_id, command.anchor_ms);
  if (!ref || (ask.anchor != HistoryAnchor::latest && !ref->present())) {
    reply_error(from, ReplyError::invalid_id);
    return After::stay;
  }
  ask.ref = std::move(*ref);
  if (ask.anchor == HistoryAnchor::between) {
    auto ref_2 = history_ref(command.message_id_2, command.anchor_ms_2);
    if (!ref_2 || !ref_2->present()) {
      reply_error(from, ReplyError::invalid_id);
      return After::stay;
    }
    ask.ref_2 = std::move(*ref_2);
  }
  return read_history(from, std::move(ask));
}

std::optional<HistoryRef> Hub::history_ref(std::string_view message_id, std::int64_t ms) {
  if (message_id.empty()) return HistoryRef{.ms = ms};
  auto id = parse_message_id(message_id);
  if (!id) return std::nullopt;
  return HistoryRef{.epoch = std::string(id->epoch), .id = id->n};
}

Hub::After Hub::read_history(Peer& from, HistoryAsk ask) {
  if (!history_.enabled()) {
    answer_history(from, ask, HistoryPage{});
    return After::stay;
  }
  std::string scope = ask.scope;
  HistoryQuery query = ask.query();
  return answered(
      from, history_.answers_later(), After::wait,
      [&](auto done) { history_.read(from, std::move(scope), std::move(query), std::move(done)); },
      [this, ask = std::move(ask)](Peer& asker, std::optional<HistoryPage>& page) {
        if (!page) return reply_error(asker, ReplyError::storage_failed);  // reported
        answer_history(asker, ask, std::move(*page));
      });
}

void Hub::answer_history(Peer& asker, const HistoryAsk& ask, HistoryPage page) {
  // An id of this history that it has not given yet: made up, or from a history that
  // was restored from an older copy. Of a history that is gone: an error where a reply
  // has no way to say so (CHATHISTORY).
  const bool unknown = !page.reset && !page.epoch.empty() &&
                       (ask.ref.id > page.last_id || ask.ref_2.id > page.last_id);
  if (unknown || (page.reset && ask.unknown_id_is_error)) {
    return reply_error(asker, ReplyError::invalid_id);
  }
  ServerMessage answer{.notice = Notice::history};
  if (ask.of == HistoryOf::room) answer.room = ask.name;
  if (ask.of == HistoryOf::user) answer.user = ask.name;
  if (page.reset) {
    answer.gap = HistoryGap::reset;
  } else if (page.gap &&
             (ask.anchor == HistoryAnchor::after || ask.anchor == HistoryAnchor::since)) {
    answer.gap = HistoryGap::expired;
  }
  if (ask.anchor == HistoryAnchor::since && page.records.size() > ask.limit) {
    page.records.erase(page.records.begin());  // read one more than replayed
    if (answer.gap == HistoryGap::none) answer.gap = HistoryGap::more;
  }
  drop_older(page.records, ask.since_ms);
  answer.history = page.records;
  answer.epoch = page.epoch;
  answer.history_forward = ask.anchor == HistoryAnchor::after && !page.reset;
  reply_list(asker, answer);
}

}  // namespace socketchat::detail
