// IRCv3's CHATHISTORY (draft/chathistory, docs/IRC.md): the line protocol's HISTORY,
// asked the IRC way and answered as a batch of the messages as they were delivered.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>

#include <fmt/format.h>

#include "hub/message_id.hpp"
#include "protocol/irc/irc_connection.hpp"
#include "protocol/irc/irc_targets.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

// "2026-12-05T21:00:00.123Z" (the milliseconds may be left out): unix ms, or nothing.
std::optional<std::int64_t> parse_irc_time(std::string_view text) {
  auto number = [&](std::size_t at, std::size_t digits, int& out) {
    if (at + digits > text.size()) return false;
    auto [end, error] = std::from_chars(text.data() + at, text.data() + at + digits, out);
    return error == std::errc{} && end == text.data() + at + digits;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, ms = 0;
  const bool fields =
      number(0, 4, year) && text.size() > 4 && text[4] == '-' && number(5, 2, month) &&
      text.size() > 7 && text[7] == '-' && number(8, 2, day) && text.size() > 10 &&
      text[10] == 'T' && number(11, 2, hour) && text.size() > 13 && text[13] == ':' &&
      number(14, 2, minute) && text.size() > 16 && text[16] == ':' && number(17, 2, second);
  if (!fields) return std::nullopt;
  std::string_view rest = text.substr(19);
  if (rest.starts_with('.')) {
    if (!number(20, 3, ms)) return std::nullopt;
    rest.remove_prefix(4);
  }
  if (rest != "Z" || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  const auto time = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                    std::chrono::minutes(minute) + std::chrono::seconds(second) +
                    std::chrono::milliseconds(ms);
  const auto unix_ms = time.time_since_epoch().count();
  if (unix_ms <= 0) return std::nullopt;  // 0 means "no time" to the Hub
  return unix_ms;
}

// n: a whole number from 1 up (the Hub takes at most 500).
bool is_limit(std::string_view count) {
  return !count.empty() &&
         std::all_of(count.begin(), count.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         count.find_first_not_of('0') != std::string_view::npos;
}

// timestamp=<time>: unix ms, or nothing.
std::optional<std::int64_t> timestamp_of(std::string_view ref) {
  return ref.starts_with("timestamp=") ? parse_irc_time(ref.substr(10)) : std::nullopt;
}

// Appends as many of `lines` as fit in `max_bytes` (0: no limit) beside what `out` holds
// and `end_bytes` more after them: the first of them when `forward`, else the last.
void append_fitting(fmt::memory_buffer& out, const std::vector<fmt::memory_buffer>& lines,
                    std::size_t max_bytes, std::size_t end_bytes, bool forward) {
  std::size_t budget = max_bytes == 0 ? SIZE_MAX : max_bytes;
  budget = budget > out.size() + end_bytes ? budget - out.size() - end_bytes : 0;
  std::size_t first = 0, last = lines.size(), used = 0;
  if (forward) {
    for (last = 0; last < lines.size() && used + lines[last].size() <= budget; ++last) {
      used += lines[last].size();
    }
  } else {
    for (first = lines.size(); first > 0 && used + lines[first - 1].size() <= budget; --first) {
      used += lines[first - 1].size();
    }
  }
  for (std::size_t i = first; i < last; ++i) out.append(lines[i]);
}

struct Subcommand {
  std::string_view name;
  HistoryAnchor anchor;
  std::size_t references;  // how many come before the count
};

constexpr Subcommand subcommands[] = {
    {"LATEST", HistoryAnchor::latest, 1},   {"BEFORE", HistoryAnchor::before, 1},
    {"AFTER", HistoryAnchor::after, 1},     {"AROUND", HistoryAnchor::around, 1},
    {"BETWEEN", HistoryAnchor::between, 2},
};

}  // namespace

Flow IrcConnection::chathistory(const IrcMessage& m, DecodeHandler& handler) {
  // Only for who asked for it, as IRCv3 has it: to anyone else an unknown command.
  if ((caps() & (cap_batch | cap_chathistory)) != (cap_batch | cap_chathistory)) {
    return numeric_step(handler, 421, fmt::format("{} :Unknown command", m.command));
  }
  const std::string_view name = m.param(0);
  auto fail = [&](std::string_view code, std::string_view what) {
    return reply_step(handler, fmt::format("FAIL CHATHISTORY {} {} :{}\r\n", code,
                                           name.empty() ? "*" : name, what));
  };
  if (iequals_ascii(name, "TARGETS")) return chathistory_targets(m, handler);
  const auto* sub = std::find_if(std::begin(subcommands), std::end(subcommands),
                                 [&](const Subcommand& s) { return iequals_ascii(name, s.name); });
  if (sub == std::end(subcommands)) return fail("INVALID_PARAMS", "Unknown subcommand");
  if (m.count < 3 + sub->references) return fail("INVALID_PARAMS", "Not enough parameters");

  const std::string_view target = m.param(1);
  Command command{.verb = Verb::history, .name = target, .unknown_id_is_error = true};
  command.anchor = sub->anchor;
  if (is_public(target)) {
    command.history_of = HistoryOf::everyone;
  } else if (!room_of(target).empty()) {
    command.name = room_of(target);
  } else if (is_valid_name(target)) {
    command.history_of = HistoryOf::user;
  } else {
    return reply_step(handler, fmt::format("FAIL CHATHISTORY INVALID_TARGET {} {} :Messages could "
                                           "not be retrieved\r\n",
                                           sub->name, target));
  }
  // msgid=<id>, timestamp=<time>; LATEST's may be "*": none.
  for (std::size_t i = 0; i < sub->references; ++i) {
    const std::string_view ref = m.param(2 + i);
    std::string_view& id = i == 0 ? command.message_id : command.message_id_2;
    std::int64_t& ms = i == 0 ? command.anchor_ms : command.anchor_ms_2;
    if (ref == "*" && sub->anchor == HistoryAnchor::latest) continue;
    if (ref.starts_with("msgid=") && parse_message_id(ref.substr(6))) {
      id = ref.substr(6);
    } else if (auto time = timestamp_of(ref)) {
      ms = *time;
    } else {
      return fail("INVALID_PARAMS", "Invalid message reference");
    }
  }
  const std::string_view count = m.param(2 + sub->references);
  if (!is_limit(count)) return fail("INVALID_PARAMS", "Invalid limit");
  command.text = count;  // the Hub takes at most 500
  asked_words_.set_subject(sub->name);
  return command_step(handler, Asked::chathistory, target, command);
}

void IrcConnection::chathistory_batch(fmt::memory_buffer& out, const ServerMessage& m) const {
  const std::string reference = std::to_string(++batches_);
  fmt::format_to(std::back_inserter(out), ":{} BATCH +{} chathistory {}\r\n", server(), reference,
                 target());
  // Each message as it was delivered, with its time and msgid, whatever was asked for.
  const bool direct = !m.user.empty();  // the DMs between the asker and the nick target()
  std::vector<fmt::memory_buffer> lines(m.history.size());
  for (std::size_t i = 0; i < m.history.size(); ++i) {
    const HistoryRecord& record = m.history[i];
    ServerMessage kept{.notice = Notice::message, .epoch = m.epoch, .id = record.id};
    kept.time_ms = record.unix_ms;
    IrcLineTags tags = IrcProtocol::line_tags(kept, cap_server_time | cap_message_tags);
    tags.first.replace(0, 1, fmt::format("@batch={};", reference));
    tags.rest.replace(0, 1, fmt::format("@batch={};", reference));
    const bool mine = iequals_ascii(record.from, nick_);
    const std::string_view to = !direct ? std::string_view(target())
                                : mine  ? std::string_view(target())
                                        : std::string_view(nick_);
    shared_.append_message(lines[i], record.from, {}, MessageKind::text, {}, to, record.text, tags);
  }
  // At most max_bytes in all (the batch's two lines too): the latest that fit, or the
  // first when the reply runs forward from a reference (AFTER).
  append_fitting(out, lines, m.max_bytes,
                 fmt::formatted_size(":{} BATCH -{}\r\n", server(), reference), m.history_forward);
  fmt::format_to(std::back_inserter(out), ":{} BATCH -{}\r\n", server(), reference);
}

// CHATHISTORY TARGETS <timestamp> <timestamp> <n>: the conversations with a message
// between the two times, each with the time of its latest.
Flow IrcConnection::chathistory_targets(const IrcMessage& m, DecodeHandler& handler) {
  auto fail = [&](std::string_view what) {
    return reply_step(handler,
                      fmt::format("FAIL CHATHISTORY INVALID_PARAMS TARGETS :{}\r\n", what));
  };
  if (m.count < 4) return fail("Not enough parameters");
  const auto first = timestamp_of(m.param(1)), second = timestamp_of(m.param(2));
  if (!first || !second) return fail("Invalid message reference");
  if (!is_limit(m.param(3))) return fail("Invalid limit");
  Command command{.verb = Verb::history, .text = m.param(3)};
  command.history_of = HistoryOf::conversations;
  command.anchor_ms = *first;
  command.anchor_ms_2 = *second;
  asked_words_.set_subject("TARGETS");
  return command_step(handler, Asked::chathistory, "*", command);
}

void IrcConnection::targets_batch(fmt::memory_buffer& out, const ServerMessage& m) const {
  const std::string reference = std::to_string(++batches_);
  auto it = std::back_inserter(out);
  fmt::format_to(it, ":{} BATCH +{} draft/chathistory-targets\r\n", server(), reference);
  // At most max_bytes in all: the first that fit when read forward, else the latest.
  std::vector<fmt::memory_buffer> lines(m.history.size());
  for (std::size_t i = 0; i < m.history.size(); ++i) {
    const HistoryRecord& conversation = m.history[i];
    const std::string_view target = conversation.scope == "*"
                                        ? IrcProtocol::public_channel
                                        : std::string_view(conversation.scope);
    fmt::format_to(std::back_inserter(lines[i]), "@batch={} :{} CHATHISTORY TARGETS {} {}\r\n",
                   reference, server(), target, irc_time(conversation.unix_ms));
  }
  append_fitting(out, lines, m.max_bytes,
                 fmt::formatted_size(":{} BATCH -{}\r\n", server(), reference), m.history_forward);
  fmt::format_to(it, ":{} BATCH -{}\r\n", server(), reference);
}

void IrcConnection::chathistory_error(fmt::memory_buffer& out, ReplyError error) const {
  std::string_view code = "MESSAGE_ERROR", what = "Messages could not be retrieved";
  switch (error) {
    case ReplyError::not_in_room:
    case ReplyError::no_such_room:
      code = "INVALID_TARGET";
      break;
    case ReplyError::invalid_id:
      code = "INVALID_PARAMS";
      what = "Unknown message reference";
      break;
    case ReplyError::invalid_count:
      code = "INVALID_PARAMS";
      what = "Invalid limit";
      break;
    default:
      break;
  }
  fmt::format_to(std::back_inserter(out), "FAIL CHATHISTORY {} {} {} :{}\r\n", code, subject(),
                 target(), what);
}

}  // namespace socketchat::detail
