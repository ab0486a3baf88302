// The Hub's HISTORY: the latest messages of a room, of the public feed, or of the DMs
// with one user.
#include <algorithm>
#include <charconv>

#include "hub/hub.hpp"
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

// Only the records stamped at or after `since_ms`. They come oldest first, stamped in
// that order, so what is left of the latest n is the latest n of those.
void drop_older(std::vector<HistoryRecord>& records, std::int64_t since_ms) {
  std::erase_if(records, [since_ms](const HistoryRecord& r) { return r.unix_ms < since_ms; });
}

// The answer names what was asked for, as it was spelled: a room, or the user whose
// DMs they are; neither for the public feed.
ServerMessage history_answer(HistoryOf of, std::string_view name) {
  ServerMessage answer{.notice = Notice::history};
  if (of == HistoryOf::room) answer.room = name;
  if (of == HistoryOf::user) answer.user = name;
  return answer;
}

}  // namespace

Hub::After Hub::history(Peer& from, const Command& command) {
  if (from.closing()) return After::stay;  // nothing it is sent now would be delivered
  auto limit = parse_count(command.text);
  if (!limit) {
    reply_error(from, ReplyError::invalid_count);
    return After::stay;
  }
  std::string scope = "*";
  std::int64_t since_ms = 0;
  if (command.history_of == HistoryOf::user) {
    // A name has no owner while there are no accounts: whoever logs in as bob may read
    // the DMs of this session only, never those of an earlier bob (PROTOCOL.md, History).
    scope = dm_scope(from.name(), command.name);
    since_ms = from.login_unix_ms();
  } else if (command.history_of == HistoryOf::room) {
    const std::string room_key = ascii_lower(command.name);
    if (!is_member(from, room_key)) {
      reply_error(from, ReplyError::not_in_room);
      return After::stay;
    }
    scope = room_scope(room_key);
  }
  if (!history_.enabled()) {
    reply(from, history_answer(command.history_of, command.name));
    return After::stay;
  }
  return answered(
      from, history_.answers_later(), After::wait,
      [&](auto done) { history_.latest(from, std::move(scope), *limit, std::move(done)); },
      [this, of = command.history_of, name = std::string(command.name), since_ms](
          Peer& asker, std::optional<std::vector<HistoryRecord>>& records) {
        if (!records) return reply_error(asker, ReplyError::storage_failed);  // reported
        drop_older(*records, since_ms);
        ServerMessage answer = history_answer(of, name);
        answer.history = *records;
        reply_list(asker, answer);
      });
}

}  // namespace socketchat::detail
