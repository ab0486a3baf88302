#include "protocol/irc/irc_protocol.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <utility>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "protocol/irc/irc_caps.hpp"
#include "protocol/irc/irc_connection.hpp"
#include "socketchat/error.hpp"
#include "util/server_name.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

// The capabilities that make a form (irc_form_caps), each a bit of its form's index.
constexpr std::uint16_t form_bits[] = {cap_message_tags, cap_server_time, cap_away_notify,
                                       cap_extended_join};
static_assert((form_bits[0] | form_bits[1] | form_bits[2] | form_bits[3]) == irc_form_caps);

}  // namespace

std::string utc_time_now() {
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC",
                     std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

IrcProtocol::IrcProtocol(std::string server_name)
    : server_name_(server_name_or_default(server_name)),
      created_(utc_time_now()),
      probe_(Payload::copy_of(fmt::format("PING :{}\r\n", server_name_))) {
  for (std::size_t index = 1; index < forms_.size(); ++index) {  // 0: this protocol itself
    std::uint16_t caps = 0;
    for (std::size_t bit = 0; bit < std::size(form_bits); ++bit) {
      if ((index & (std::size_t{1} << bit)) != 0) caps |= form_bits[bit];
    }
    forms_[index] = std::make_unique<IrcTaggedForm>(*this, caps);
  }
}

const Protocol* IrcProtocol::form(std::uint16_t caps) const noexcept {
  std::size_t index = 0;
  for (std::size_t bit = 0; bit < std::size(form_bits); ++bit) {
    if ((caps & form_bits[bit]) != 0) index |= std::size_t{1} << bit;
  }
  return forms_[index].get();
}

std::unique_ptr<Decoder> IrcTaggedForm::make_decoder() const {
  return base_.make_decoder();
}

Payload IrcTaggedForm::encode(const ServerMessage& message) const {
  return base_.encode(message, caps_);
}

Payload IrcTaggedForm::keepalive_probe() const {
  return base_.keepalive_probe();
}

std::string irc_time(std::int64_t unix_ms) {
  const auto ms = std::chrono::milliseconds(unix_ms);
  const auto seconds = std::chrono::floor<std::chrono::seconds>(ms);
  return fmt::format(
      "{:%Y-%m-%dT%H:%M:%S}.{:03}Z",
      std::chrono::sys_seconds(std::chrono::duration_cast<std::chrono::seconds>(seconds)),
      (ms - seconds).count());
}

IrcLineTags IrcProtocol::line_tags(const ServerMessage& m, std::uint16_t caps) {
  IrcLineTags tags;
  if ((caps & cap_server_time) != 0) tags.rest = "@time=" + irc_time(m.time_ms);
  tags.first = tags.rest;
  if ((caps & cap_message_tags) != 0 && m.id != 0) {
    tags.first += fmt::format("{}msgid={}-{}", tags.first.empty() ? "@" : ";", m.epoch, m.id);
  }
  if (!tags.first.empty()) tags.first.push_back(' ');
  if (!tags.rest.empty()) tags.rest.push_back(' ');
  return tags;
}

void IrcProtocol::read_motd(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string text;
  if (file) {
    text.resize(max_motd_bytes + 1);
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(file.gcount()));
  }
  if (!file && !file.eof()) throw config_error(fmt::format("motd_file: cannot read {}", path));
  if (text.size() > max_motd_bytes) {
    throw config_error(fmt::format("motd_file: {} is over {} bytes", path, max_motd_bytes));
  }
  if (!is_valid_utf8(text)) throw config_error(fmt::format("motd_file: {} is not UTF-8", path));
  motd_.clear();
  std::string clean;
  for (std::string_view rest = text; !rest.empty();) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    std::string_view line = strip_controls(rest.substr(0, end), clean);  // a CR too
    rest.remove_prefix(std::min(rest.size(), end + 1));
    do {  // wrapped at 80 bytes: "372 <nick> :- <line>" stays far below 512
      const std::string_view head = utf8_head(line, 80);
      motd_.emplace_back(head);
      line.remove_prefix(head.size());
    } while (!line.empty());
  }
  if (motd_.empty()) motd_.emplace_back();  // an empty file: a MOTD of one empty line
}

void append_join(fmt::memory_buffer& out, std::string_view prefix, std::string_view channel,
                 bool extended, std::string_view account, std::string_view real_name) {
  if (!extended) {
    fmt::format_to(std::back_inserter(out), "JOIN {}{}\r\n", prefix, channel);
  } else {
    fmt::format_to(std::back_inserter(out), "JOIN {}{} {} :{}\r\n", prefix, channel,
                   account.empty() ? "*" : account, real_name);
  }
}

void append_part(fmt::memory_buffer& out, std::string_view prefix, std::string_view channel,
                 std::string_view reason) {
  if (reason.empty()) {
    fmt::format_to(std::back_inserter(out), "PART {}{}\r\n", prefix, channel);
  } else {
    fmt::format_to(std::back_inserter(out), "PART {}{} :{}\r\n", prefix, channel, reason);
  }
}

void append_quit(fmt::memory_buffer& out, std::string_view reason) {
  if (reason.empty()) {
    out.append(std::string_view("QUIT :Quit\r\n"));
  } else {
    fmt::format_to(std::back_inserter(out), "QUIT :Quit: {}\r\n", reason);
  }
}

std::string_view IrcProtocol::user_name_of(std::string_view nick, UserIdentity identity) noexcept {
  const std::string_view user = identity.user_name.empty() ? nick : identity.user_name;
  return user.substr(0, max_user_name_bytes);
}

std::string IrcProtocol::source(std::string_view nick, UserIdentity identity) const {
  return fmt::format("{}!~{}@{}", nick, user_name_of(nick, identity), server_name_);
}

void IrcProtocol::append_source(fmt::memory_buffer& out, std::string_view nick,
                                UserIdentity identity) const {
  fmt::format_to(std::back_inserter(out), ":{}!~{}@{} ", nick, user_name_of(nick, identity),
                 server_name_);
}

void IrcProtocol::append_message(fmt::memory_buffer& out, std::string_view nick,
                                 UserIdentity identity, MessageKind kind, std::string_view prefix,
                                 std::string_view target, std::string_view text,
                                 const IrcLineTags& tags) const {
  const bool notice = kind == MessageKind::notice || kind == MessageKind::ctcp_reply;
  const std::string_view verb = notice ? "NOTICE" : "PRIVMSG";
  // Each line's text is wrapped in these: a CTCP's \x01s, an action's CTCP ACTION.
  std::string_view open, close;
  if (kind == MessageKind::ctcp || kind == MessageKind::ctcp_reply) {
    open = "\x01", close = "\x01";
  } else if (text.starts_with(socketchat::action_prefix) &&
             text.size() > socketchat::action_prefix.size()) {
    open =
        "\x01"
        "ACTION ";
    close = "\x01";
    text.remove_prefix(socketchat::action_prefix.size());
  }
  // ":" source " " verb " " prefix target " :" open text close, without the CR LF.
  const std::size_t source_bytes =
      nick.size() + 2 + user_name_of(nick, identity).size() + 1 + server_name_.size();
  const std::size_t head = 1 + source_bytes + 1 + verb.size() + 1 + prefix.size() + target.size() +
                           2 + open.size() + close.size();
  const std::size_t room =
      head + 4 < IrcProtocol::max_line_bytes ? IrcProtocol::max_line_bytes - head : 4;
  bool first = true;
  do {
    const std::string_view piece = utf8_head(text, room);
    out.append(std::exchange(first, false) ? tags.first : tags.rest);
    append_source(out, nick, identity);
    fmt::format_to(std::back_inserter(out), "{} {}{} :{}{}{}\r\n", verb, prefix, target, open,
                   piece, close);
    text.remove_prefix(piece.size());
  } while (!text.empty());
}

std::unique_ptr<Decoder> IrcProtocol::make_decoder() const {
  return std::make_unique<IrcConnection>(*this);
}

// Only what does not depend on the recipient: the Hub encodes a broadcast once for
// every IRC connection of a form (the tags it asked for).
Payload IrcProtocol::encode(const ServerMessage& m, std::uint16_t caps) const {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  switch (m.notice) {
    case Notice::message:
      append_message(out, m.user, m.identity, m.kind, {}, public_channel, m.text,
                     line_tags(m, caps));
      break;
    case Notice::room_message:
      append_message(out, m.user, m.identity, m.kind, "#", m.room, m.text, line_tags(m, caps));
      break;
    case Notice::joined:
      append_source(out, m.user, m.identity);
      append_join(out, "#", m.room, (caps & cap_extended_join) != 0, m.identity.account,
                  real_name_of(m.user, m.identity));
      break;
    case Notice::left:
      append_source(out, m.user, m.identity);
      append_part(out, "#", m.room, m.text);
      break;
    case Notice::user_disconnected:
      if (m.names.empty()) {
        append_source(out, m.user, m.identity);
        append_quit(out, m.text);
      } else {
        for (std::size_t i = 0; i < m.names.size(); ++i) {
          append_source(out, m.names[i],
                        i < m.identities.size() ? m.identities[i] : UserIdentity{});
          append_quit(out, i < m.reasons.size() ? m.reasons[i] : std::string_view());
        }
      }
      break;
    case Notice::direct_message:  // a connection's own encoder names the recipient
      append_message(out, m.user, m.identity, m.kind, {}, "*", m.text);
      break;
    case Notice::error:
      if (m.error == ReplyError::server_full || m.error == ReplyError::too_many_connections) {
        fmt::format_to(it, "ERROR :Closing Link: ({})\r\n",
                       m.error == ReplyError::server_full
                           ? "Server full"
                           : "Too many connections from your address");
      } else {
        fmt::format_to(it, ":{} NOTICE * :{}\r\n", server_name_, code_of(m.error));
      }
      break;
    case Notice::away_changed:  // IRCv3 away-notify
      if ((caps & cap_away_notify) == 0) return {};
      append_source(out, m.user, m.identity);
      if (m.text.empty()) {
        out.append(std::string_view("AWAY\r\n"));
      } else {
        fmt::format_to(it, "AWAY :{}\r\n", m.text);
      }
      break;
    case Notice::renamed:
      append_source(out, m.user, m.identity);
      fmt::format_to(it, "NICK :{}\r\n", m.text);
      break;
    case Notice::kicked:
      append_source(out, m.by, m.identity);
      fmt::format_to(it, "KICK #{} {} :{}\r\n", m.room, m.user, m.text.empty() ? m.by : m.text);
      break;
    case Notice::topic_changed:
      append_source(out, m.by, m.identity);
      fmt::format_to(it, "TOPIC #{} :{}\r\n", m.room, m.text);
      break;
    case Notice::modes_changed:
      append_source(out, m.by, m.identity);
      fmt::format_to(it, "MODE #{} {}\r\n", m.room, m.text);
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
