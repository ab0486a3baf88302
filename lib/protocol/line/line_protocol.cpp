#include "protocol/line/line_protocol.hpp"

#include <fmt/format.h>

#include "protocol/line_framer.hpp"
#include "protocol/list_reply.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

struct VerbName {
  std::string_view word;
  Verb verb;
};

constexpr VerbName verbs[] = {
    {"LOGIN", Verb::login},
    {"MSG", Verb::msg},
    {"DM", Verb::dm},
    {"WHO", Verb::who},
    {"PING", Verb::ping},
    {"QUIT", Verb::quit},
    {"HELP", Verb::help},
    {"JOIN", Verb::join},
    {"PART", Verb::part},
    {"SAY", Verb::say},
    {"ROOMS", Verb::rooms},
    {"HISTORY", Verb::history},
    {"REGISTER", Verb::register_account},
    {"TOKEN", Verb::token},
    {"PASSWD", Verb::change_password},
    {"KICK", Verb::kick},
    {"BAN", Verb::ban},
    {"UNBAN", Verb::unban},
    {"MUTE", Verb::mute},
    {"UNMUTE", Verb::unmute},
    {"OPER", Verb::oper},
    {"RENAME", Verb::rename},
    {"TOPIC", Verb::topic},
    {"MODE", Verb::mode},
    {"INVITE", Verb::invite},
};

// The HELP listing: "HELP <verb> <synopsis>" lines, then END.
constexpr std::string_view help_text =
    "HELP LOGIN <username> [password] - log in under a unique name, or to an account\n"
    "HELP REGISTER <username> <password> - create an account and log in to it\n"
    "HELP TOKEN [token] - log in with a session token, or (logged in) ask for one\n"
    "HELP PASSWD <old-password> <new-password> - change your account's password\n"
    "HELP MSG <text> - send text to every logged-in user\n"
    "HELP DM <username> <text> - send text to one user\n"
    "HELP RENAME <username> - change your name (not an account's)\n"
    "HELP WHO [room] - list the logged-in users, or a room's members\n"
    "HELP JOIN <room> [key] [SINCE <id>] - join a room, creating it if need be (SINCE: and "
    "get what it said after that message)\n"
    "HELP PART <room> [reason] - leave a room\n"
    "HELP SAY <room> <text> - send text to a room's members\n"
    "HELP ROOMS - list the rooms, how many are in each, and their topics\n"
    "HELP TOPIC <room> [topic|-] - show, set or clear a room's topic\n"
    "HELP MODE <room> [b|changes [arguments]] - show or change a room's modes (+o alice)\n"
    "HELP INVITE <room> <username> - invite a user to a room\n"
    "HELP HISTORY <room|*|@user> [AFTER|BEFORE <id>] [n] - the latest n messages (default "
    "50, at most 500), or those after or before a message id\n"
    "HELP CAPS [[-]ids] [[-]echo] - show or change what the server sends: message ids, "
    "your own messages\n"
    "HELP KICK <room> <username> [reason] - take a user out of a room (room operators)\n"
    "HELP BAN <room|*> <username|mask> - keep a user out of a room, or the server\n"
    "HELP UNBAN <room|*> <username|mask> - lift a ban\n"
    "HELP MUTE <room|*> <username> - silence a user in a room, or everywhere\n"
    "HELP UNMUTE <room|*> <username> - lift a mute\n"
    "HELP OPER <account> <password> - become an operator with an operator's account\n"
    "HELP PING [token] - check the connection; answered PONG [token]\n"
    "HELP QUIT [reason] - close the connection\n"
    "HELP HELP - list the commands\n"
    "END\n";

Verb verb_of(std::string_view word) noexcept {
  for (const auto& v : verbs) {
    if (iequals_ascii(word, v.word)) return v.verb;
  }
  return Verb::unknown;
}

std::string_view clean_text(std::string_view text, std::string& scratch) {
  return trim(strip_controls(text, scratch));
}

constexpr std::string_view end_line = "END\n";

// The bytes of the end of a list that left out `left` entries: "MORE <left>\n" (when
// left > 0) and "END\n".
std::size_t tail_size(std::size_t left) noexcept {
  return left == 0 ? end_line.size() : fmt::formatted_size("MORE {}\n", left) + end_line.size();
}

void append_tail(fmt::memory_buffer& out, std::size_t left) {
  if (left != 0) fmt::format_to(std::back_inserter(out), "MORE {}\n", left);
  out.append(end_line);
}

// A list in order: the line of each entry (`line(out, entry)` appends it), as many as
// fit in `max_bytes` (0: all) together with the MORE and END lines, then those.
template <class Entries, class Line>
void append_list(fmt::memory_buffer& out, const Entries& entries, std::size_t max_bytes,
                 Line line) {
  ListBudget budget(max_bytes, std::size(entries), out.size(), tail_size);
  for (const auto& entry : entries) {
    line(out, entry);
    if (!budget.add(out.size())) break;
  }
  out.resize(budget.kept_bytes());
  append_tail(out, budget.left_out());
}

// What a HISTORY asked for, as HISTORY spells it: "<room>", "@<user>" or "*".
struct HistoryLabel {
  std::string_view sigil, name;
};
HistoryLabel history_label(const ServerMessage& m) noexcept {
  if (!m.room.empty()) return {"", m.room};
  if (!m.user.empty()) return {"@", m.user};
  return {"*", ""};
}

// A message's id and stamp, as lines with ids carry them: "<epoch>-<n> <unix-ms>", or
// "- <unix-ms>" for one not kept.
struct IdAndStamp {
  std::string_view epoch;
  std::uint64_t id;
  std::int64_t unix_ms;
};

}  // namespace
}  // namespace socketchat::detail

template <>
struct fmt::formatter<socketchat::detail::IdAndStamp> : fmt::formatter<std::string_view> {
  auto format(const socketchat::detail::IdAndStamp& m, format_context& ctx) const {
    if (m.id == 0) return fmt::format_to(ctx.out(), "- {}", m.unix_ms);
    return fmt::format_to(ctx.out(), "{}-{} {}", m.epoch, m.id, m.unix_ms);
  }
};

namespace socketchat::detail {
namespace {

// "HIST <label> [<id>] <unix-ms> <from> <text>"
void append_hist(fmt::memory_buffer& out, HistoryLabel label, const HistoryRecord& r,
                 std::string_view epoch, bool with_ids) {
  if (with_ids) {
    fmt::format_to(std::back_inserter(out), "HIST {}{} {} {} {}\n", label.sigil, label.name,
                   IdAndStamp{epoch, r.id, r.unix_ms}, r.from, r.text);
  } else {
    fmt::format_to(std::back_inserter(out), "HIST {}{} {} {} {}\n", label.sigil, label.name,
                   r.unix_ms, r.from, r.text);
  }
}

constexpr std::string_view gap_words[] = {"", "expired", "reset", "more"};

// HISTORY: a GAP line if need be, the records that fit (the latest, or the first when
// the reply runs forward from an id), oldest first, then MORE (how many were left out)
// and END.
void append_history(fmt::memory_buffer& out, const ServerMessage& m, bool with_ids) {
  const HistoryLabel label = history_label(m);
  if (m.gap != HistoryGap::none) {
    fmt::format_to(std::back_inserter(out), "GAP {}{} {}\n", label.sigil, label.name,
                   gap_words[static_cast<std::size_t>(m.gap)]);
  }
  std::span<const HistoryRecord> sent = m.history;
  if (m.max_bytes != 0) {
    ListBudget budget(m.max_bytes, m.history.size(), out.size(), tail_size);
    fmt::memory_buffer line;
    std::size_t bytes = out.size();
    auto add = [&](const HistoryRecord& r) {
      line.clear();
      append_hist(line, label, r, m.epoch, with_ids);
      bytes += line.size();
      return budget.add(bytes);
    };
    if (m.history_forward) {
      for (const auto& r : m.history)
        if (!add(r)) break;
      sent = m.history.first(budget.kept());
    } else {
      for (auto r = m.history.rbegin(); r != m.history.rend(); ++r)
        if (!add(*r)) break;
      sent = m.history.subspan(budget.left_out());
    }
  }
  for (const auto& r : sent) append_hist(out, label, r, m.epoch, with_ids);
  append_tail(out, m.history.size() - sent.size());
}

}  // namespace

LineProtocol::LineProtocol(std::size_t max_line_bytes, bool with_ids)
    : max_line_bytes_(max_line_bytes),
      with_ids_(with_ids),
      plain_form_(this),
      ids_form_(with_ids ? nullptr : std::make_unique<LineProtocol>(max_line_bytes, true)),
      ok_(Payload::copy_of("OK\n")),
      help_(Payload::copy_of(help_text)),
      inactivity_(Payload::copy_of("INFO disconnected due to inactivity\n")),
      shutting_down_(Payload::copy_of("INFO server shutting down\n")),
      pong_(Payload::copy_of("PONG\n")) {
  for (std::size_t i = 0; i <= static_cast<std::size_t>(last_reply_error); ++i) {
    errors_[i] = Payload::copy_of(fmt::format("ERR {}\n", code_of(static_cast<ReplyError>(i))));
  }
  if (ids_form_) ids_form_->plain_form_ = this;
}

std::size_t LineDecoder::feed(std::string_view bytes, DecodeHandler& handler) {
  auto refused = [&](ReplyError error) {
    return handler.on_decode_error(error) ? Flow::next : Flow::stop;
  };
  return framer_.feed(bytes, [&](LineFramer::Unit unit, std::string_view line) {
    handler.on_line();  // any line is activity, even one refused below
    if (unit == LineFramer::Unit::too_long) return refused(ReplyError::line_too_long);
    if (!is_valid_utf8(line)) return refused(ReplyError::invalid_utf8);
    if (trim(line).empty()) return Flow::next;  // blank lines are ignored
    std::string_view rest;
    if (iequals_ascii(take_word(line, rest), "CAPS")) return caps(rest, handler);
    thread_local std::string scratch;
    return handler.on_command(LineProtocol::parse(line, scratch)).flow;
  });
}

Flow LineDecoder::caps(std::string_view asked, DecodeHandler& handler) {
  bool ids = protocol_ == &protocol_->with_ids();
  bool echo = echo_;
  for (std::string_view rest; !asked.empty(); asked = rest) {
    std::string_view word = take_word(asked, rest);
    const bool on = !word.starts_with('-');
    if (!on) word.remove_prefix(1);
    if (word == "ids") {
      ids = on;
    } else if (word == "echo") {
      echo = on;
    } else {
      return handler.on_reply(
          Payload::copy_of(fmt::format("ERR {}\n", code_of(ReplyError::invalid_argument))));
    }
  }
  const LineProtocol& form = ids ? protocol_->with_ids() : protocol_->plain();
  if (&form != protocol_ || echo != echo_) {
    protocol_ = &form;
    echo_ = echo;
    handler.on_capabilities_changed();
  }
  return handler.on_reply(
      Payload::copy_of(fmt::format("CAPS{}{}\n", ids ? " ids" : "", echo ? " echo" : "")));
}

std::unique_ptr<Decoder> LineProtocol::make_decoder() const {
  return std::make_unique<LineDecoder>(*this, max_line_bytes_);
}

Command LineProtocol::parse(std::string_view line, std::string& scratch) {
  std::string_view rest;
  Command command;
  command.verb = verb_of(take_word(line, rest));
  switch (command.verb) {
    case Verb::login:
    case Verb::register_account:
      // "LOGIN <name> [password]": a password is one word; one with blanks in it is
      // the Authenticator's to refuse (invalid-password), so it is kept whole.
      command.name = take_word(rest, command.secret);
      break;
    case Verb::token:
      command.secret = rest;
      break;
    case Verb::change_password:
      command.secret = take_word(rest, command.new_secret);
      break;
    case Verb::oper:
      command.name = take_word(rest, command.secret);
      break;
    case Verb::kick:
    case Verb::ban:
    case Verb::unban:
    case Verb::mute:
    case Verb::unmute: {
      // "<room|*> <user> [reason]": only KICK has a reason; a second word elsewhere
      // makes the user an invalid name.
      std::string_view after;
      command.name = take_word(rest, after);
      if (command.verb == Verb::kick) {
        std::string_view reason;
        command.subject = take_word(after, reason);
        command.text = clean_text(reason, scratch);
      } else {
        command.subject = after;
      }
      break;
    }
    case Verb::join: {  // "JOIN <room> [key] [SINCE <id>]"
      command.name = take_word(rest, command.secret);
      std::string_view after_first, after_second, after_third;
      const std::string_view first = take_word(command.secret, after_first);
      const std::string_view second = take_word(after_first, after_second);
      const std::string_view third = take_word(after_second, after_third);
      if (iequals_ascii(first, "SINCE") && !second.empty() && third.empty()) {
        command.anchor = HistoryAnchor::since;
        command.message_id = second;
        command.secret = {};
      } else if (iequals_ascii(second, "SINCE") && !third.empty() && after_third.empty()) {
        command.anchor = HistoryAnchor::since;
        command.message_id = third;
        command.secret = first;
      }
      break;
    }
    case Verb::topic: {  // "TOPIC <room> [topic]": a topic sets it, "-" clears it
      std::string_view text;
      command.name = take_word(rest, text);
      if (!text.empty()) {
        command.verb = Verb::set_topic;
        command.text = text == "-" ? std::string_view{} : clean_text(text, scratch);
      }
      break;
    }
    case Verb::mode:  // "MODE <room> [changes [arguments]]": the changes as IRC's
      command.name = take_word(rest, command.text);
      break;
    case Verb::invite:  // "INVITE <room> <user>"
      command.name = take_word(rest, command.subject);
      break;
    case Verb::who:
    case Verb::rename:
      command.name = rest;  // the whole rest: "LOGIN John Smith" is not a valid name
      break;
    case Verb::part: {  // "PART <room> [reason]"
      std::string_view reason;
      command.name = take_word(rest, reason);
      command.text = clean_text(reason, scratch);
      break;
    }
    case Verb::quit:  // "QUIT [reason]": IRC users see it
      command.text = clean_text(rest, scratch);
      break;
    case Verb::history: {
      // "<room>", "*" (the public feed) or "@<user>" (the DMs with that user).
      std::string_view target = take_word(rest, command.text);
      // "... AFTER <id> [n]", "... BEFORE <id> [n]"
      std::string_view more;
      std::string_view anchor = take_word(command.text, more);
      const bool after = iequals_ascii(anchor, "AFTER");
      if (after || iequals_ascii(anchor, "BEFORE")) {
        command.anchor = after ? HistoryAnchor::after : HistoryAnchor::before;
        command.message_id = take_word(more, command.text);
      }
      if (target == "*") {
        command.history_of = HistoryOf::everyone;
      } else if (target.starts_with('@')) {
        command.history_of = HistoryOf::user;
        command.name = target.substr(1);
      } else {
        command.name = target;
      }
      break;
    }
    case Verb::say:
    case Verb::dm: {
      std::string_view text;
      command.name = take_word(rest, text);
      command.text = clean_text(text, scratch);
      break;
    }
    case Verb::msg:
    case Verb::ping:
      command.text = clean_text(rest, scratch);
      break;
    default:
      break;
  }
  return command;
}

LineProtocol::KeptList* LineProtocol::kept_slot(const ServerMessage& m) const noexcept {
  if (m.list_version == 0) return nullptr;
  if (m.notice == Notice::room_list) return &kept_[0];
  if (m.notice == Notice::user_list) return &kept_[1];
  return nullptr;
}

Payload LineProtocol::encode(const ServerMessage& m) const {
  switch (m.notice) {
    case Notice::ok:  // OK <username> to a TOKEN login, which named nobody
      return m.text.empty() ? ok_ : Payload::copy_of(fmt::format("OK {}\n", m.text));
    case Notice::token:
      return Payload::copy_of(fmt::format("TOKEN {}\n", m.text));
    case Notice::error:
      return errors_[static_cast<std::size_t>(m.error)];
    case Notice::help:
      return help_;
    case Notice::inactivity:
      return inactivity_;
    case Notice::shutting_down:
      return shutting_down_;
    case Notice::pong:
      return m.text.empty() ? pong_ : Payload::copy_of(fmt::format("PONG {}\n", m.text));
    case Notice::user_info:  // answers to lookups no line command makes (IRC's WHOIS)
    case Notice::room_info:
    case Notice::away_changed:   // IRC's away-notify
    case Notice::conversations:  // IRC's CHATHISTORY TARGETS
      return {};
    case Notice::message:
    case Notice::room_message:
    case Notice::direct_message:
      if (!is_stored_kind(m.kind)) return {};  // CTCP: between IRC clients only
      break;
    default:
      break;
  }
  KeptList* kept = kept_slot(m);
  if (kept) {
    std::lock_guard lock(kept_mutex_);
    if (kept->version == m.list_version && kept->max_bytes == m.max_bytes) return kept->payload;
  }
  fmt::memory_buffer out;  // on the stack for all but long texts
  auto it = std::back_inserter(out);
  switch (m.notice) {
    case Notice::message:
      if (with_ids_) {
        fmt::format_to(it, "MSG {} {} {}\n", IdAndStamp{m.epoch, m.id, m.time_ms}, m.user, m.text);
      } else {
        fmt::format_to(it, "MSG {} {}\n", m.user, m.text);
      }
      break;
    case Notice::direct_message:
      if (with_ids_) {
        fmt::format_to(it, "DM {} {} {} {}\n", IdAndStamp{m.epoch, m.id, m.time_ms}, m.user, m.to,
                       m.text);
      } else {
        fmt::format_to(it, "DM {} {}\n", m.user, m.text);
      }
      break;
    case Notice::user_disconnected:
      if (m.names.empty()) {
        fmt::format_to(it, "INFO {} disconnected\n", m.user);
      } else {
        for (auto name : m.names) fmt::format_to(it, "INFO {} disconnected\n", name);
      }
      break;
    case Notice::joined:
      fmt::format_to(it, "INFO {} joined {}\n", m.user, m.room);
      break;
    case Notice::left:  // the reason, if given, after the room
      fmt::format_to(it, "INFO {} left {}{}{}\n", m.user, m.room, m.text.empty() ? "" : " ",
                     m.text);
      break;
    case Notice::room_message:
      if (with_ids_) {
        fmt::format_to(it, "SAY {} {} {} {}\n", m.room, IdAndStamp{m.epoch, m.id, m.time_ms},
                       m.user, m.text);
      } else {
        fmt::format_to(it, "SAY {} {} {}\n", m.room, m.user, m.text);
      }
      break;
    case Notice::renamed:
      fmt::format_to(it, "INFO {} renamed {}\n", m.user, m.text);
      break;
    case Notice::kicked:
      fmt::format_to(it, "KICK {} {} {}{}{}\n", m.room, m.user, m.by, m.text.empty() ? "" : " ",
                     m.text);
      break;
    case Notice::topic:  // "TOPIC <room>" alone: none
      if (m.text.empty()) {
        fmt::format_to(it, "TOPIC {}\n", m.room);
        break;
      }
      [[fallthrough]];
    case Notice::topic_changed:
      fmt::format_to(it, "TOPIC {} {} {}{}{}\n", m.room, m.by, m.time_ms, m.text.empty() ? "" : " ",
                     m.text);
      break;
    case Notice::room_modes:
      fmt::format_to(it, "MODE {} {}\n", m.room, m.text);
      break;
    case Notice::modes_changed:
      fmt::format_to(it, "MODE {} {} {}\n", m.room, m.by, m.text);
      break;
    case Notice::ban_list: {
      const std::string_view room = m.room;
      append_list(out, m.names, m.max_bytes, [room](fmt::memory_buffer& to, std::string_view mask) {
        fmt::format_to(std::back_inserter(to), "BAN {} {}\n", room, mask);
      });
      break;
    }
    case Notice::invited:
      fmt::format_to(it, "INVITE {} {}\n", m.room, m.by);
      break;
    case Notice::banned:
      out.append(std::string_view("INFO banned\n"));
      break;
    case Notice::name_taken:
      out.append(std::string_view("INFO name-taken\n"));
      break;
    case Notice::history:
      append_history(out, m, with_ids_);
      break;
    case Notice::room_list:
      append_list(out, m.rooms, m.max_bytes, [](fmt::memory_buffer& to, const RoomSummary& room) {
        fmt::format_to(std::back_inserter(to), "ROOM {} {}{}{}\n", room.name, room.members,
                       room.topic.empty() ? "" : " ", room.topic);
      });
      break;
    case Notice::user_list:
      append_list(out, m.names, m.max_bytes, [](fmt::memory_buffer& to, std::string_view name) {
        fmt::format_to(std::back_inserter(to), "USER {}\n", name);
      });
      break;
    default:
      break;
  }
  Payload made = Payload::copy_of({out.data(), out.size()});
  if (kept) {
    std::lock_guard lock(kept_mutex_);
    *kept = {.version = m.list_version, .max_bytes = m.max_bytes, .payload = made};
  }
  return made;
}

}  // namespace socketchat::detail
