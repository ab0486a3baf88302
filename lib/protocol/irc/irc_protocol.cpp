#include "protocol/irc/irc_protocol.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "protocol/irc/irc_connection.hpp"

namespace socketchat::detail {

namespace {

std::string utc_now() {
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

}  // namespace

void append_privmsg(fmt::memory_buffer& out, std::string_view nick, std::string_view prefix,
                    std::string_view target, std::string_view text) {
  constexpr std::string_view server = IrcProtocol::server_name;
  // ":" nick "!" nick "@" server " PRIVMSG " prefix target " :" text, without the CR LF.
  const std::size_t head =
      1 + nick.size() + 1 + nick.size() + 1 + server.size() + 9 + prefix.size() + target.size() + 2;
  const std::size_t room =
      head + 4 < IrcProtocol::max_line_bytes ? IrcProtocol::max_line_bytes - head : 4;
  do {
    std::size_t cut = std::min(text.size(), room);
    while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;
    if (cut == 0) cut = std::min(text.size(), room);  // not UTF-8 after all: cut anyway
    fmt::format_to(std::back_inserter(out), ":{0}!{0}@{1} PRIVMSG {2}{3} :{4}\r\n", nick, server,
                   prefix, target, text.substr(0, cut));
    text.remove_prefix(cut);
  } while (!text.empty());
}

std::string irc_source(std::string_view nick) {
  return fmt::format("{}!{}@{}", nick, nick, IrcProtocol::server_name);
}

IrcProtocol::IrcProtocol()
    : created_(utc_now()), probe_(Payload::copy_of(fmt::format("PING :{}\r\n", server_name))) {}

std::unique_ptr<Decoder> IrcProtocol::make_decoder() const {
  return std::make_unique<IrcConnection>(*this);
}

// Only what does not depend on the recipient: the Hub encodes a broadcast once for
// every IRC connection.
Payload IrcProtocol::encode(const ServerMessage& m) const {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  auto source = [&](std::string_view nick) {
    fmt::format_to(it, ":{0}!{0}@{1} ", nick, server_name);
  };
  switch (m.notice) {
    case Notice::message:
      append_privmsg(out, m.user, {}, public_channel, m.text);
      break;
    case Notice::room_message:
      append_privmsg(out, m.user, "#", m.room, m.text);
      break;
    case Notice::joined:
      source(m.user);
      fmt::format_to(it, "JOIN #{}\r\n", m.room);
      break;
    case Notice::left:
      source(m.user);
      fmt::format_to(it, "PART #{}\r\n", m.room);
      break;
    case Notice::user_disconnected:
      if (m.names.empty()) {
        source(m.user);
        fmt::format_to(it, "QUIT :Quit\r\n");
      } else {
        for (auto name : m.names) {
          source(name);
          fmt::format_to(it, "QUIT :Quit\r\n");
        }
      }
      break;
    case Notice::direct_message:  // a connection's own encoder names the recipient
      append_privmsg(out, m.user, {}, "*", m.text);
      break;
    case Notice::error:
      if (m.error == ReplyError::server_full || m.error == ReplyError::too_many_connections) {
        fmt::format_to(it, "ERROR :Closing Link: ({})\r\n",
                       m.error == ReplyError::server_full
                           ? "Server full"
                           : "Too many connections from your address");
      } else {
        fmt::format_to(it, ":{} NOTICE * :{}\r\n", server_name, code_of(m.error));
      }
      break;
    case Notice::kicked:
      source(m.by);
      fmt::format_to(it, "KICK #{} {} :{}\r\n", m.room, m.user, m.text.empty() ? m.by : m.text);
      break;
    case Notice::banned:
      fmt::format_to(it, "ERROR :Closing Link: (Banned)\r\n");
      break;
    case Notice::name_taken:  // what IRC networks say when two servers had one nick
      fmt::format_to(it, "ERROR :Closing Link: (Nick collision)\r\n");
      break;
    case Notice::inactivity:
      fmt::format_to(it, "ERROR :Closing Link: (Ping timeout)\r\n");
      break;
    case Notice::shutting_down:
      fmt::format_to(it, "ERROR :Closing Link: (Server shutting down)\r\n");
      break;
    default:
      return {};  // replies: IrcConnection spells them
  }
  return Payload::copy_of({out.data(), out.size()});
}

}  // namespace socketchat::detail
