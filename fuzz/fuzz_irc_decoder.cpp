// Feeds arbitrary bytes to one IRC connection (IrcConnection) whose handler plays a
// small Hub: it answers each command at once through the connection's own encode(),
// as Session and Hub do, and sends the connection the broadcasts a real Hub would
// (its own messages, JOINs, QUITs), so that decoding and encoding run together.
//
// Input: two bytes of settings for the fake Hub (how it answers LOGIN, which commands
// it refuses, how many users it lists), then the bytes the client sends.
//
// Every way of feeding the same bytes must give the same commands, replies and
// refusals: whole, one byte at a time, in uneven pieces, and with a Hub that is busy
// (Flow::retry) now and then, so that lines are fed again and their steps resumed.
// Every command must keep Command's promises (valid UTF-8 with no LF; texts trimmed,
// without control characters), and everything sent to the client must be IRC lines:
// each ends in CR LF, holds no other CR, LF or NUL, is at most 512 bytes with its CR LF
// (RFC 2812 2.3), is valid UTF-8, starts with a source (or is an ERROR), and a numeric
// names the client ('*' before registration); a names list loses no name.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/irc/irc_connection.hpp"
#include "protocol/irc/irc_protocol.hpp"
#include "util/text.hpp"

#include "fuzz_support.hpp"

using namespace socketchat;
using namespace socketchat::detail;
using fuzz::has_control;
using fuzz::require;

namespace {

bool has_line_break_or_nul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// What the fake Hub is told by the first two bytes of the input.
struct Settings {
  std::uint8_t login = 0;   // bits 0-1: how LOGIN is answered; bits 2-7: users listed / 4
  std::uint8_t refuse = 0;  // which commands get an error instead of their usual answer
};

// Every ReplyError, 0 to last_reply_error: the fake Hub may answer with any of them.
constexpr std::size_t error_count = static_cast<std::size_t>(last_reply_error) + 1;
constexpr ReplyError error_at(std::size_t n) {
  return static_cast<ReplyError>(n % error_count);
}

// Plays the Hub; records what happens as one string of events, and checks each.
struct FakeHub final : DecodeHandler {
  FakeHub(IrcConnection& connection, Settings settings, bool busy_now_and_then)
      : irc(connection), config(settings), busy(busy_now_and_then) {
    for (int i = 0; i < (config.login >> 2) * 4; ++i) {
      // Long names (up to 32 bytes, as the Hub allows) to make many 353 lines.
      std::string name = "user" + std::to_string(i) + "-";
      name.resize(32 - i % 5, static_cast<char>('a' + i % 26));
      others.push_back(std::move(name));
    }
  }

  IrcConnection& irc;
  Settings config;
  bool busy;
  std::string events;
  std::string nick;  // once logged in
  std::set<std::string> joined;
  std::vector<std::string> others;
  int logins = 0;
  int answered = 0;  // commands taken
  int attempts = 0;  // calls of on_command and on_reply, retried or not
  bool retried_last = false;
  bool closed = false;
  bool refused_now = false;  // the command being answered was refused

  // Busy every third call, never twice in a row: each step is retried at most once.
  bool busy_now() {
    ++attempts;
    if (!busy || retried_last || attempts % 3 != 1) {
      retried_last = false;
      return false;
    }
    retried_last = true;
    return true;
  }

  void check_lines(std::string_view payload) {
    require(is_valid_utf8(payload), "what is sent is valid UTF-8", payload);
    require(payload.size() >= 2 && payload.substr(payload.size() - 2) == "\r\n",
            "what is sent ends with CR LF", payload);
    std::string_view rest = payload;
    while (!rest.empty()) {
      std::size_t end = rest.find("\r\n");
      require(end != std::string_view::npos, "every line ends with CR LF", payload);
      std::string_view line = rest.substr(0, end);
      rest.remove_prefix(end + 2);
      require(!has_line_break_or_nul(line), "a line holds no CR, LF or NUL", payload);
      if (line.starts_with('@')) {  // tags (a label, a batch): the rest is the line as ever
        const std::size_t space = line.find(' ');
        require(space != std::string_view::npos, "tags are followed by a line", payload);
        line.remove_prefix(space + 1);
      }
      require(line.size() + 2 <= 512, "a line is at most 512 bytes with its CR LF", payload);
      require(line.starts_with(':') || line.starts_with("ERROR :"),
              "a line starts with a source, or is an ERROR", payload);
      constexpr std::string_view server = ":socketchat ";
      if (line.starts_with(server) && line.size() > server.size() + 3 &&
          line[server.size()] >= '0' && line[server.size()] <= '9') {
        std::string me = nick.empty() ? std::string("*") : nick;
        require(line.substr(server.size() + 3, me.size() + 2) == " " + me + " ",
                "a numeric names the client", payload);
      }
    }
  }

  void send(const ServerMessage& message) {
    refused_now |= message.notice == Notice::error;
    Payload payload = irc.encode(message);
    if (!payload) return;
    check_lines(payload.view());
    if (message.notice == Notice::user_list) check_names(payload.view(), message.names);
    events += 'H';
    events += payload.view();
  }

  // A names list (353 lines, if that is how the list is answered) shows every name
  // once, in order: none lost to a line cut short.
  static void check_names(std::string_view payload, std::span<const std::string_view> names) {
    std::vector<std::string_view> listed;
    bool any = false;
    for (std::string_view rest = payload; !rest.empty();) {
      std::string_view line = rest.substr(0, rest.find("\r\n"));
      rest.remove_prefix(line.size() + 2);
      if (!line.starts_with(":socketchat 353 ")) continue;
      any = true;
      std::string_view list = line.substr(line.find(" :") + 2);
      while (!list.empty()) {
        std::size_t space = list.find(' ');
        listed.push_back(list.substr(0, space));
        list.remove_prefix(space == std::string_view::npos ? list.size() : space + 1);
      }
    }
    if (!any) return;
    require(std::equal(listed.begin(), listed.end(), names.begin(), names.end()),
            "353 lines list every name once, in order", payload);
  }

  void refuse(ReplyError error) { send({.notice = Notice::error, .error = error}); }

  // The usual answer gives way to an error now and then (settings.refuse).
  bool refused() {
    const int n = answered % 8;
    if (((config.refuse >> n) & 1) == 0) return false;
    refuse(error_at(answered * 7 + config.refuse));
    return true;
  }

  void check_command(const Command& c) {
    for (std::string_view part : {c.name, c.text}) {
      require(is_valid_utf8(part), "command parts are valid UTF-8", part);
      require(part.find('\n') == std::string_view::npos, "command parts hold no LF", part);
    }
    // A name is passed on as the client sent it, NUL or CR included (the Hub refuses it
    // as no valid name, and a reply that echoes it shows '?'); a text never holds one.
    require(!has_line_break_or_nul(c.text), "command text holds no CR, LF or NUL", c.text);
    switch (c.verb) {
      case Verb::msg:
      case Verb::dm:
      case Verb::say:
      case Verb::ping:
        require(!has_control(c.text), "delivered text holds no control characters", c.text);
        require(trim(c.text) == c.text, "delivered text is trimmed", c.text);
        break;
      case Verb::quit:  // reasons, away messages, topics, mode changes, history counts
      case Verb::part:
      case Verb::kick:
      case Verb::away:
      case Verb::set_topic:
      case Verb::mode:
      case Verb::history:
        require(trim(c.text) == c.text || c.verb == Verb::mode, "a reason is trimmed", c.text);
        break;
      case Verb::login:
      case Verb::who:
      case Verb::join:
      case Verb::rooms:
      case Verb::user_info:
      case Verb::room_info:
      case Verb::oper:
      case Verb::part_all:
      case Verb::counts:
      case Verb::rename:
      case Verb::topic:
      case Verb::invite:
        require(c.text.empty(), "only messages, PING and reasons carry text");
        break;
      default:
        require(false, "IRC asks for no HELP, line-protocol-only or unknown verb");
        break;
    }
    if (c.follow_up) {
      require((c.verb == Verb::who && !c.name.empty()) || c.verb == Verb::topic ||
                  c.verb == Verb::user_info || c.verb == Verb::quit,
              "only a JOIN's topic and names, USERHOST's and ISON's lookups and QUIT follow up");
    }
    if (c.verb == Verb::login) require(nick.empty(), "LOGIN comes once, until it succeeds");
  }

  // As Session does: refused when the Hub answered with an error.
  Handled on_command(const Command& c) override {
    refused_now = false;
    const Flow flow = respond(c);
    return {flow, refused_now};
  }

  Flow respond(const Command& c) {
    require(!closed, "nothing comes after QUIT");
    if (busy_now()) return Flow::retry;
    check_command(c);
    events += 'C';
    events += std::to_string(static_cast<int>(c.verb));
    events += c.follow_up ? '+' : '|';
    events += std::to_string(c.name.size()) + ':';
    events += c.name;
    events += '|' + std::to_string(c.text.size()) + ':';
    events += c.text;
    ++answered;
    const std::string key = ascii_lower(c.name);
    switch (c.verb) {
      case Verb::login: {
        ++logins;
        const int how =
            config.login & 3;  // 0: OK, 1: the first is taken, 2: all are, 3: every other one
        const bool taken = (how == 1 && logins == 1) || how == 2 || (how == 3 && logins % 2 == 1);
        if (!is_valid_name(c.name)) {
          refuse(ReplyError::invalid_username);
        } else if (taken) {
          refuse(ReplyError::username_taken);
        } else {
          nick = c.name;
          send({.notice = Notice::ok});
        }
        return Flow::next;
      }
      case Verb::quit: {
        closed = true;
        std::string_view gone[] = {nick.empty() ? std::string_view("x") : std::string_view(nick),
                                   "bob"};
        send({.notice = Notice::user_disconnected, .names = gone});
        return Flow::stop;
      }
      case Verb::ping:
        send({.notice = Notice::pong, .text = c.text});
        return Flow::next;
      case Verb::rename:  // NICK after registration: taken, as the Hub allows it
        if (nick.empty() || !is_valid_name(c.name)) break;
        nick = c.name;
        send({.notice = Notice::ok, .user = c.name});
        return Flow::next;
      default:
        break;
    }
    if (nick.empty()) {
      refuse(ReplyError::not_logged_in);
      return Flow::next;
    }
    if (refused()) return Flow::next;
    switch (c.verb) {
      case Verb::who: {
        if (!c.name.empty() && !joined.contains(key)) {
          refuse(is_valid_name(c.name) ? ReplyError::no_such_room : ReplyError::invalid_room);
          break;
        }
        std::vector<std::string_view> names(others.begin(), others.end());
        names.push_back(nick);
        send({.notice = Notice::user_list, .names = names});
        break;
      }
      case Verb::join:
        if (!is_valid_name(c.name)) {
          refuse(ReplyError::invalid_room);
        } else if (!joined.insert(key).second) {
          refuse(ReplyError::already_in_room);
        } else {
          send({.notice = Notice::ok});
          send({.notice = Notice::joined, .user = "bob", .room = c.name});
        }
        break;
      case Verb::part:
        if (joined.erase(key) == 0) {
          refuse(ReplyError::not_in_room);
        } else {
          send({.notice = Notice::ok});
          send({.notice = Notice::left, .user = "bob", .room = c.name});
        }
        break;
      case Verb::rooms: {
        std::vector<RoomSummary> rooms;
        for (const auto& room : joined) rooms.push_back({room, 1});
        send({.notice = Notice::room_list, .rooms = rooms});
        break;
      }
      case Verb::user_info:
        if (is_valid_name(c.name)) {
          send({.notice = Notice::user_info, .user = c.name});
        } else {
          refuse(ReplyError::no_such_user);
        }
        break;
      case Verb::room_info:
        if (joined.contains(key)) {
          const RoomSummary room{c.name, 1};
          send({.notice = Notice::room_info, .rooms = {&room, 1}});
        } else {
          refuse(ReplyError::no_such_room);
        }
        break;
      // Messages are not answered; the connection gets what others would see instead.
      case Verb::msg:
        send({.notice = Notice::message, .user = nick, .text = c.text});
        break;
      case Verb::say:
        if (!is_valid_name(c.name)) {
          refuse(ReplyError::missing_argument);
        } else {
          send({.notice = Notice::room_message, .user = nick, .text = c.text, .room = c.name});
        }
        break;
      case Verb::dm:
        if (!is_valid_name(c.name)) {
          refuse(ReplyError::no_such_user);
        } else {
          send({.notice = Notice::direct_message, .user = c.name, .text = c.text});
        }
        break;
      default:
        break;
    }
    return Flow::next;
  }

  Flow on_reply(Payload payload) override {
    require(!closed, "nothing comes after QUIT");
    if (busy_now()) return Flow::retry;
    // Nothing when held for a labeled answer (labeled-response), which on_answer sends.
    if (payload) check_lines(payload.view());
    events += 'R';
    events += payload.view();
    return Flow::next;
  }

  void on_answer(Payload payload) override {
    if (!payload) return;
    check_lines(payload.view());
    events += 'A';
    events += payload.view();
  }

  bool on_decode_error(ReplyError error) override {
    require(error == ReplyError::line_too_long || error == ReplyError::invalid_utf8,
            "the decoder refuses only long lines and invalid UTF-8");
    send({.notice = Notice::error, .error = error});  // as Session::on_decode_error does
    events += 'E';
    events += code_of(error);
    events += ';';
    return true;
  }

  void on_line() override {}  // activity only; its count may differ with how input is split
};

template <class NextPiece>
std::string decode(const IrcProtocol& shared, Settings settings, std::string_view bytes, bool busy,
                   NextPiece next_piece) {
  IrcConnection connection(shared);
  FakeHub hub(connection, settings, busy);
  while (!bytes.empty() && !hub.closed) {
    std::string_view piece = bytes.substr(0, next_piece());
    std::size_t taken = connection.feed(piece, hub);
    require(taken <= piece.size(), "feed takes no more than it is given");
    require(busy || hub.closed || taken == piece.size(),
            "feed takes everything unless the Hub is busy or the client quit");
    require(connection.buffered() <= IrcProtocol::max_tagged_line_bytes + 1,
            "at most one unfinished line (tags and all) is held");
    // A busy Hub: what was not taken comes again (the retried step then succeeds).
    bytes.remove_prefix(taken);
  }
  return hub.events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const Settings settings{.login = data[0], .refuse = data[1]};
  std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  static const IrcProtocol shared;  // shared by all connections; only they are per input

  const std::string whole = decode(shared, settings, bytes, false, [&] { return bytes.size(); });
  const std::string bytewise = decode(shared, settings, bytes, false, [] { return 1; });
  require(bytewise == whole, "byte-by-byte decoding matches whole decoding");
  std::size_t step = 0;
  const std::string uneven =
      decode(shared, settings, bytes, false, [&] { return 1 + (step++ * 7) % 13; });
  require(uneven == whole, "decoding in uneven pieces matches whole decoding");
  const std::string busy = decode(shared, settings, bytes, true, [&] { return bytes.size(); });
  require(busy == whole, "a busy Hub (retry, then the line again) changes nothing");
  step = 0;
  const std::string busy_uneven =
      decode(shared, settings, bytes, true, [&] { return 1 + (step++ * 5) % 11; });
  require(busy_uneven == whole, "a busy Hub with input in pieces changes nothing");
  return 0;
}
