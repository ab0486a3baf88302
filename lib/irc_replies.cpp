// IRC output to one connection: the Hub's replies, spelled for the command they
// answer (IrcConnection::asked_), and direct messages, addressed to this nick.
#include <algorithm>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

#include "detail/irc_connection.hpp"
#include "detail/text.hpp"
#include "socketchat/version.hpp"

namespace socketchat::detail {

namespace {

constexpr std::string_view server = IrcProtocol::server_name;

// RFC 2812 2.3.1: a line holds no NUL, and no CR but the one before its LF.
void scrub_irc_line_breaks(char* data, std::size_t size) noexcept {
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '\0' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n')))
      data[i] = '?';
  }
}

// RFC 2812 2.3: 512 bytes a line with the CR LF (a 500-byte channel name echoed makes
// a reply longer). Returns the new size.
std::size_t cut_long_irc_lines(char* data, std::size_t size) noexcept {
  constexpr std::size_t max = IrcProtocol::max_line_bytes;
  std::size_t to = 0;
  for (std::size_t from = 0; from < size;) {
    const std::string_view rest(data + from, size - from);
    const std::size_t end = std::min(rest.find("\r\n"), rest.size());
    const std::size_t crlf = std::min<std::size_t>(2, rest.size() - end);
    std::size_t keep = end;
    if (keep > max) {
      keep = max;
      while (keep > 0 && (static_cast<unsigned char>(rest[keep]) & 0xC0) == 0x80) --keep;
    }
    if (to != from || keep != end) {
      std::memmove(data + to, data + from, keep);
      std::memmove(data + to + keep, data + from + end, crlf);
    }
    to += keep + crlf;
    from += end + crlf;
  }
  return to;
}

}  // namespace

Payload as_irc_lines(char* data, std::size_t size) {
  scrub_irc_line_breaks(data, size);
  return Payload::copy_of({data, cut_long_irc_lines(data, size)});
}

void IrcConnection::numeric(fmt::memory_buffer& out, int code, std::string_view rest) const {
  fmt::format_to(std::back_inserter(out), ":{} {:03} {} {}\r\n", server, code, me(), rest);
}

Payload IrcConnection::encode(const ServerMessage& m) const {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  switch (m.notice) {
    case Notice::direct_message:  // from another connection's strand: nick_ only
      // A clean text from a registered user: IRC lines as made, no echo to check.
      append_privmsg(out, m.user, {}, nick_, m.text);
      return Payload::copy_of({out.data(), out.size()});
    case Notice::ok:
      succeeded_ = true;
      if (asked_ == Asked::registration) {
        registered_ = true;
        welcome(out);
      } else if (asked_ == Asked::join) {
        fmt::format_to(it, ":{} JOIN {}\r\n", irc_source(nick_), target_);
      } else if (asked_ == Asked::part) {
        fmt::format_to(it, ":{} PART {}\r\n", irc_source(nick_), target_);
      }
      break;
    case Notice::error:
      error_reply(out, m.error);
      break;
    case Notice::user_list:
      user_list(out, m.names);
      break;
    case Notice::room_list:
      numeric(out, 321, "Channel :Users  Name");
      for (const auto& room : m.rooms)
        numeric(out, 322, fmt::format("#{} {} :", room.name, room.members));
      numeric(out, 323, ":End of /LIST");
      break;
    case Notice::pong:
      fmt::format_to(it, ":{0} PONG {0} :{1}\r\n", server, m.text);
      break;
    case Notice::inactivity:
      fmt::format_to(it, "ERROR :Closing Link: {} ({})\r\n", me(),
                     registered_ ? "Ping timeout" : "Registration timed out");
      break;
    case Notice::help:
    case Notice::history:
      break;  // no IRC command asks for these
    default:
      return shared_.encode(m);  // broadcasts, and the server shutting down
  }
  if (out.size() == 0) return {};
  return as_irc_lines(out.data(), out.size());
}

void IrcConnection::welcome(fmt::memory_buffer& out) const {
  numeric(out, 1, fmt::format(":Welcome to socketchat, {}", nick_));
  numeric(out, 2, fmt::format(":Your host is {}, running version {}", server, version_string));
  numeric(out, 3, fmt::format(":This server was created {}", shared_.created()));
  numeric(out, 4, fmt::format("{} {} i nt", server, version_string));
  numeric(out, 5,
          fmt::format("CHANTYPES=#& NICKLEN=32 CHANNELLEN=33 CASEMAPPING=ascii PREFIX=() "
                      "CHANMODES=,,,nt NETWORK={} :are supported by this server",
                      server));
  numeric(out, 422, ":MOTD File is missing");
  // Every IRC user is in the public feed (the line protocol's MSG). Its names list
  // shows only the newcomer: everyone's would make N logins cost N^2 bytes (19,000
  // users: gigabytes); NAMES &public or WHO &public lists them on request.
  fmt::format_to(std::back_inserter(out), ":{} JOIN {}\r\n", irc_source(nick_),
                 IrcProtocol::public_channel);
  numeric(out, 353, fmt::format("= {} :{}", IrcProtocol::public_channel, nick_));
  numeric(out, 366, fmt::format("{} :End of /NAMES list.", IrcProtocol::public_channel));
}

// A list of users answers NAMES (and a JOIN), WHO, WHOIS, TOPIC or MODE.
void IrcConnection::user_list(fmt::memory_buffer& out,
                              std::span<const std::string_view> names) const {
  switch (asked_) {
    case Asked::join_names:
    case Asked::names: {
      // 353 lines of as many names as fit in an IRC line.
      const std::string head = fmt::format(":{} 353 {} = {} :", server, me(), target_);
      std::string line = head;
      for (auto name : names) {
        if (line.size() > head.size() &&
            line.size() + 1 + name.size() > IrcProtocol::max_line_bytes) {
          fmt::format_to(std::back_inserter(out), "{}\r\n", line);
          line = head;
        }
        if (line.size() > head.size()) line += ' ';
        line.append(name);
      }
      if (line.size() > head.size()) fmt::format_to(std::back_inserter(out), "{}\r\n", line);
      numeric(out, 366, fmt::format("{} :End of /NAMES list.", target_));
      break;
    }
    case Asked::who: {
      // WHO #room lists the room; WHO &public everyone; WHO nick that one user.
      const bool one_user = target_.front() != '#' && target_.front() != '&';
      for (auto name : names) {
        if (one_user && !iequals_ascii(name, target_)) continue;
        numeric(out, 352,
                fmt::format("{} {} {} {} {} H :0 {}", one_user ? "*" : target_, name, server,
                            server, name, name));
      }
      numeric(out, 315, fmt::format("{} :End of /WHO list.", target_));
      break;
    }
    case Asked::whois: {
      bool found = false;
      for (auto name : names) {
        if (!iequals_ascii(name, target_)) continue;
        found = true;
        numeric(out, 311, fmt::format("{} {} {} * :{}", name, name, server, name));
        numeric(out, 312, fmt::format("{} {} :socketchat", name, server));
      }
      if (!found) numeric(out, 401, fmt::format("{} :No such nick/channel", target_));
      numeric(out, 318, fmt::format("{} :End of /WHOIS list.", target_));
      break;
    }
    case Asked::topic:
      numeric(out, 331, fmt::format("{} :No topic is set", target_));
      break;
    case Asked::mode:
      numeric(out, 324, fmt::format("{} +nt", target_));
      break;
    default:
      break;
  }
}

void IrcConnection::error_reply(fmt::memory_buffer& out, ReplyError error) const {
  if (asked_ == Asked::notice) return;  // NOTICE is never answered (RFC 2812 3.3.2)
  switch (error) {
    case ReplyError::line_too_long:
      return numeric(out, 417, ":Input line was too long");
    case ReplyError::invalid_utf8:
      fmt::format_to(std::back_inserter(out), ":{} NOTICE {} :Line ignored: not valid UTF-8\r\n",
                     server, me());
      return;
    case ReplyError::invalid_username:
      return numeric(out, 432, fmt::format("{} :Erroneous nickname", target_));
    case ReplyError::username_taken:
      return numeric(out, 433, fmt::format("{} :Nickname is already in use", target_));
    case ReplyError::already_logged_in:
      return numeric(out, 462, ":You may not reregister");
    case ReplyError::not_logged_in:
      return numeric(out, 451, ":You have not registered");
    case ReplyError::unknown_command:
      return numeric(out, 421, fmt::format("{} :Unknown command", verb_));
    case ReplyError::missing_argument:
      return numeric(out, 461, fmt::format("{} :Not enough parameters", verb_));
    case ReplyError::empty_message:
      return numeric(out, 412, ":No text to send");
    case ReplyError::no_such_user:
      return numeric(out, 401, fmt::format("{} :No such nick/channel", target_));
    case ReplyError::rate_limited:
      return numeric(out, 263, fmt::format("{} :Please wait a while and try again.", verb_));
    case ReplyError::message_rejected:
      return numeric(out, 404,
                     fmt::format("{} :Cannot send to channel (message rejected)", target_));
    case ReplyError::invalid_room:
      return numeric(out, 403, fmt::format("{} :No such channel", target_));
    case ReplyError::already_in_room:
      return;  // JOIN of a channel one is in: nothing
    case ReplyError::not_in_room:
      if (asked_ == Asked::part) {
        return numeric(out, 442, fmt::format("{} :You're not on that channel", target_));
      }
      return numeric(out, 404, fmt::format("{} :Cannot send to channel", target_));
    case ReplyError::no_such_room:
      if (asked_ == Asked::names)
        return numeric(out, 366, fmt::format("{} :End of /NAMES list.", target_));
      if (asked_ == Asked::who)
        return numeric(out, 315, fmt::format("{} :End of /WHO list.", target_));
      return numeric(out, 403, fmt::format("{} :No such channel", target_));
    case ReplyError::storage_failed:
      fmt::format_to(std::back_inserter(out),
                     ":{} NOTICE {} :A message could not be stored, so it was not sent\r\n", server,
                     me());
      return;
    case ReplyError::server_full:
    case ReplyError::too_many_connections:
    case ReplyError::invalid_count:
      break;
  }
  fmt::format_to(std::back_inserter(out), ":{} NOTICE {} :{}\r\n", server, me(), code_of(error));
}

}  // namespace socketchat::detail
