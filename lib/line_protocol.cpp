#include "detail/line_protocol.hpp"

#include <fmt/format.h>

#include "detail/line_framer.hpp"
#include "detail/text.hpp"

namespace socketchat::detail {

namespace {

struct VerbName {
  std::string_view word;
  Verb verb;
};

constexpr VerbName verbs[] = {
    {"LOGIN", Verb::login}, {"MSG", Verb::msg},     {"DM", Verb::dm},
    {"WHO", Verb::who},     {"PING", Verb::ping},   {"QUIT", Verb::quit},
    {"HELP", Verb::help},   {"JOIN", Verb::join},   {"PART", Verb::part},
    {"SAY", Verb::say},     {"ROOMS", Verb::rooms}, {"HISTORY", Verb::history},
};

// The HELP listing: "HELP <verb> <synopsis>" lines, then END.
constexpr std::string_view help_text =
    "HELP LOGIN <username> - log in under a unique name\n"
    "HELP MSG <text> - send text to every logged-in user\n"
    "HELP DM <username> <text> - send text to one user\n"
    "HELP WHO [room] - list the logged-in users, or a room's members\n"
    "HELP JOIN <room> - join a room, creating it if need be\n"
    "HELP PART <room> - leave a room\n"
    "HELP SAY <room> <text> - send text to a room's members\n"
    "HELP ROOMS - list the rooms and how many are in each\n"
    "HELP HISTORY <room|*|@user> [n] - the latest n messages (default 50, at most 500)\n"
    "HELP PING [token] - check the connection; answered PONG [token]\n"
    "HELP QUIT - close the connection\n"
    "HELP HELP - list the commands\n"
    "END\n";

Verb verb_of(std::string_view word) noexcept {
  for (const auto& v : verbs) {
    if (iequals_ascii(word, v.word)) return v.verb;
  }
  return Verb::unknown;
}

// Per-connection state: the framer's remainder.
class LineDecoder final : public Decoder {
 public:
  LineDecoder(const LineProtocol& protocol, std::size_t max_line_bytes)
      : protocol_(protocol), framer_(max_line_bytes) {}

  std::size_t feed(std::string_view bytes, DecodeHandler& handler) override {
    auto refused = [&](ReplyError error) {
      return handler.on_decode_error(error) ? Flow::next : Flow::stop;
    };
    return framer_.feed(bytes, [&](LineFramer::Unit unit, std::string_view line) {
      handler.on_line();  // any line is activity, even one refused below
      if (unit == LineFramer::Unit::too_long) return refused(ReplyError::line_too_long);
      if (!is_valid_utf8(line)) return refused(ReplyError::invalid_utf8);
      if (trim(line).empty()) return Flow::next;  // blank lines are ignored
      thread_local std::string scratch;
      return handler.on_command(LineProtocol::parse(line, scratch));
    });
  }

  std::size_t buffered() const noexcept override { return framer_.buffered(); }
  const Protocol& encoder() const noexcept override { return protocol_; }

 private:
  const LineProtocol& protocol_;
  LineFramer framer_;
};

std::string_view clean_text(std::string_view text, std::string& scratch) {
  return trim(strip_controls(text, scratch));
}

}  // namespace

std::string_view code_of(ReplyError error) noexcept {
  switch (error) {
    case ReplyError::line_too_long:
      return "line-too-long";
    case ReplyError::invalid_utf8:
      return "invalid-utf8";
    case ReplyError::invalid_username:
      return "invalid-username";
    case ReplyError::username_taken:
      return "username-taken";
    case ReplyError::already_logged_in:
      return "already-logged-in";
    case ReplyError::not_logged_in:
      return "not-logged-in";
    case ReplyError::unknown_command:
      return "unknown-command";
    case ReplyError::missing_argument:
      return "missing-argument";
    case ReplyError::empty_message:
      return "empty-message";
    case ReplyError::no_such_user:
      return "no-such-user";
    case ReplyError::rate_limited:
      return "rate-limited";
    case ReplyError::server_full:
      return "server-full";
    case ReplyError::too_many_connections:
      return "too-many-connections";
    case ReplyError::message_rejected:
      return "message-rejected";
    case ReplyError::invalid_room:
      return "invalid-room";
    case ReplyError::already_in_room:
      return "already-in-room";
    case ReplyError::not_in_room:
      return "not-in-room";
    case ReplyError::no_such_room:
      return "no-such-room";
    case ReplyError::invalid_count:
      return "invalid-count";
    case ReplyError::storage_failed:
      return "storage-failed";
  }
  return "internal";
}

LineProtocol::LineProtocol(std::size_t max_line_bytes)
    : max_line_bytes_(max_line_bytes),
      ok_(Payload::copy_of("OK\n")),
      help_(Payload::copy_of(help_text)),
      inactivity_(Payload::copy_of("INFO disconnected due to inactivity\n")),
      shutting_down_(Payload::copy_of("INFO server shutting down\n")),
      pong_(Payload::copy_of("PONG\n")) {
  for (std::size_t i = 0; i <= static_cast<std::size_t>(last_reply_error); ++i) {
    errors_[i] = Payload::copy_of(fmt::format("ERR {}\n", code_of(static_cast<ReplyError>(i))));
  }
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
    case Verb::join:
    case Verb::part:
    case Verb::who:
      command.name = rest;  // the whole rest: "LOGIN John Smith" is not a valid name
      break;
    case Verb::history:
      command.name = take_word(rest, command.text);
      break;
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

Payload LineProtocol::encode(const ServerMessage& m) const {
  switch (m.notice) {
    case Notice::ok:
      return ok_;
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
    default:
      break;
  }
  fmt::memory_buffer out;  // on the stack for all but long texts
  auto it = std::back_inserter(out);
  switch (m.notice) {
    case Notice::message:
      fmt::format_to(it, "MSG {} {}\n", m.user, m.text);
      break;
    case Notice::direct_message:
      fmt::format_to(it, "DM {} {}\n", m.user, m.text);
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
    case Notice::left:
      fmt::format_to(it, "INFO {} left {}\n", m.user, m.room);
      break;
    case Notice::room_message:
      fmt::format_to(it, "SAY {} {} {}\n", m.room, m.user, m.text);
      break;
    case Notice::history:
      for (const auto& r : m.history) {
        fmt::format_to(it, "HIST {} {} {} {}\n", m.room, r.unix_ms, r.from, r.text);
      }
      fmt::format_to(it, "END\n");
      break;
    case Notice::room_list:
      for (const auto& room : m.rooms) fmt::format_to(it, "ROOM {} {}\n", room.name, room.members);
      fmt::format_to(it, "END\n");
      break;
    case Notice::user_list:
      for (auto name : m.names) fmt::format_to(it, "USER {}\n", name);
      fmt::format_to(it, "END\n");
      break;
    default:
      break;
  }
  return Payload::copy_of({out.data(), out.size()});
}

}  // namespace socketchat::detail
