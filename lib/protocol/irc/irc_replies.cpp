// IRC output to one connection: the Hub's replies, spelled for the command they
// answer (IrcConnection::asked_), and direct messages, addressed to this nick.
#include <algorithm>
#include <cstring>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "hub/mode_changes.hpp"
#include "hub/room_state.hpp"
#include "protocol/irc/irc_connection.hpp"
#include "protocol/list_reply.hpp"
#include "socketchat/version.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

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

// The end of a list reply: 416 ERR_TOOMANYMATCHES when entries were left out (as
// Hybrid and ratbox answer a WHO too large), then the list's own end numeric.
class ListEnd {
 public:
  ListEnd(std::string_view server, std::string_view me, std::string_view command, int code,
          std::string_view rest)
      : server_(server),
        me_(me),
        command_(command),
        end_(fmt::format(":{} {:03} {} {}\r\n", server, code, me, rest)) {}

  std::size_t size(std::size_t left) const {
    return left == 0
               ? end_.size()
               : fmt::formatted_size(":{} 416 {} {} :output too large, truncated ({} more)\r\n",
                                     server_, me_, command_, left) +
                     end_.size();
  }
  void append(fmt::memory_buffer& out, std::size_t left) const {
    if (left != 0) {
      fmt::format_to(std::back_inserter(out),
                     ":{} 416 {} {} :output too large, truncated ({} more)\r\n", server_, me_,
                     command_, left);
    }
    out.append(std::string_view(end_));
  }

 private:
  std::string_view server_, me_, command_;
  std::string end_;
};

}  // namespace

Payload as_irc_lines(char* data, std::size_t size) {
  scrub_irc_line_breaks(data, size);
  return Payload::copy_of({data, cut_long_irc_lines(data, size)});
}

void IrcConnection::numeric(fmt::memory_buffer& out, int code, std::string_view rest) const {
  numeric(out, me(), code, rest);
}

void IrcConnection::numeric(fmt::memory_buffer& out, std::string_view to, int code,
                            std::string_view rest) const {
  fmt::format_to(std::back_inserter(out), ":{} {:03} {} {}\r\n", server(), code, to, rest);
}

Payload IrcConnection::encode(const ServerMessage& m) const {
  Payload spelled = spell(m);
  LabeledResponses* labels = this->labels();
  if (!labels || !spelled) return spelled;
  if (labels->capturing()) return labels->hold(spelled);
  if (!m.label.empty()) return labels->echo(m.label, spelled);
  return spelled;
}

Payload IrcConnection::spell(const ServerMessage& m) const {
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  switch (m.notice) {
    case Notice::direct_message: {  // from another connection's strand: nick_, caps_ only
      // To us, or our own told back (echo-message): then to its recipient.
      const bool echo = !m.to.empty() && iequals_ascii(m.user, nick_);
      shared_.append_message(out, m.user, m.identity, m.kind, {}, echo ? m.to : nick_, m.text,
                             IrcProtocol::line_tags(m, caps()));
      return Payload::copy_of({out.data(), out.size()});
    }
    case Notice::ok:
      // The OK to a LOGIN names the account (SASL's, or PASS's at registration).
      if (!m.identity.account.empty()) seldom().account = m.identity.account;
      if (asked_ == Asked::sasl) {
        // Logged in; the welcome comes with registration (NICK, USER, CAP END).
        keep_room_limit(m.room_limit);
        const std::string_view account = m.user.empty() ? std::string_view(nick_) : m.user;
        numeric(out, nick_, 900,
                fmt::format("{} {} :You are now logged in as {}", shared_.source(nick_, identity()),
                            account, account));
        numeric(out, nick_, 903, ":SASL authentication successful");
      } else if (asked_ == Asked::registration) {
        keep_room_limit(m.room_limit);  // for VERSION's ISUPPORT
        welcome(out, m.room_limit);
      } else if (asked_ == Asked::join) {
        shared_.append_source(out, nick_, identity());
        append_join(out, {}, target(), (caps() & cap_extended_join) != 0, account_name(),
                    IrcProtocol::real_name_of(nick_, identity()));
      } else if (asked_ == Asked::part) {
        shared_.append_source(out, nick_, identity());
        append_part(out, {}, target(), subject());  // subject(): the reason
      } else if (asked_ == Asked::oper) {
        numeric(out, 381, ":You are now an IRC operator");
      } else if (asked_ == Asked::rename) {  // under the Hub's lock: see nick_
        shared_.append_source(out, nick_, identity());
        fmt::format_to(it, "NICK :{}\r\n", m.user);
        nick_.assign(m.user);
      } else if (asked_ == Asked::away) {
        if (subject().empty()) {
          numeric(out, 305, ":You are no longer marked as being away");
        } else {
          numeric(out, 306, ":You have been marked as being away");
        }
      } else if (asked_ == Asked::invite) {
        numeric(out, 341, fmt::format("{} {}", m.user, target()));
      }
      break;
    case Notice::error:
      error_reply(out, m.error, m.user);
      break;
    case Notice::user_list:
      user_list(out, m.names, m.identities, m.roles, m.max_bytes);
      break;
    case Notice::room_list:
      room_list(out, m.rooms, m.max_bytes);
      break;
    case Notice::user_info:  // WHOIS, WHO <nick>, USERHOST, ISON; no such user: error_reply
      if (asked_ == Asked::userhost || asked_ == Asked::ison) {
        gather(m);
        return {};
      }
      user_info(out, m.user, m.identity);
      break;
    case Notice::away:  // a DM's recipient is away
      numeric(out, 301, fmt::format("{} :{}", m.user, m.text));
      break;
    case Notice::counts:  // LUSERS: one server, no invisible users, no services
      numeric(out, 251,
              fmt::format(":There are {} users and 0 invisible on 1 servers", m.counts.users));
      numeric(out, 254, fmt::format("{} :channels formed", m.counts.rooms));
      numeric(out, 255, fmt::format(":I have {} clients and 0 servers", m.counts.users));
      numeric(out, 265,
              fmt::format("{0} {1} :Current local users {0}, max {1}", m.counts.users,
                          m.counts.most_users));
      numeric(out, 266,
              fmt::format("{0} {1} :Current global users {0}, max {1}", m.counts.users,
                          m.counts.most_users));
      break;
    case Notice::topic:  // TOPIC #room, and after a JOIN (nothing without a topic)
      if (m.text.empty()) {
        if (asked_ == Asked::topic) numeric(out, 331, fmt::format("{} :No topic is set", target()));
        break;
      }
      numeric(out, 332, fmt::format("{} :{}", target(), m.text));
      numeric(out, 333, fmt::format("{} {} {}", target(), m.by, m.time_ms / 1000));
      break;
    case Notice::room_modes:
      numeric(out, 324, fmt::format("{} {}", target(), m.text));
      numeric(out, 329, fmt::format("{} {}", target(), m.time_ms / 1000));
      break;
    case Notice::ban_list:
      for (auto mask : m.names) numeric(out, 367, fmt::format("{} {}", target(), mask));
      numeric(out, 368, fmt::format("{} :End of channel ban list", target()));
      break;
    case Notice::invited:  // under the Hub's lock, as a DM: nick_ is stable
      shared_.append_source(out, m.by, m.identity);
      fmt::format_to(it, "INVITE {} :#{}\r\n", nick_, m.room);
      break;
    case Notice::room_info:  // no IRC command asks for it
      break;
    case Notice::pong:
      fmt::format_to(it, ":{0} PONG {0} :{1}\r\n", server(), m.text);
      break;
    case Notice::inactivity:
      fmt::format_to(it, "ERROR :Closing Link: {} ({})\r\n", me(),
                     registered_ ? "Ping timeout" : "Registration timed out");
      break;
    case Notice::help:
    case Notice::history:
      if (asked_ == Asked::chathistory) chathistory_batch(out, m);
      break;
    case Notice::conversations:
      if (asked_ == Asked::chathistory) targets_batch(out, m);
      break;
    default:  // broadcasts (as this client's form spells them), the server shutting down
      return shared_.encode(m, caps() & irc_form_caps);
  }
  if (out.size() == 0) return {};
  return as_irc_lines(out.data(), out.size());
}

// To the nick: it is registered once the Hub's OK, encoded here, has been handed back.
void IrcConnection::welcome(fmt::memory_buffer& out, std::size_t room_limit) const {
  numeric(
      out, nick_, 1,
      fmt::format(":Welcome to the socketchat IRC Network {}", shared_.source(nick_, identity())));
  numeric(out, nick_, 2,
          fmt::format(":Your host is {}, running version {}", server(), version_string));
  numeric(out, nick_, 3, fmt::format(":This server was created {}", shared_.created()));
  numeric(out, nick_, 4, fmt::format("{} {} i biklmnotv", server(), version_string));
  isupport(out, nick_, room_limit);
  motd(out, nick_);
  // Every IRC user is in the public feed (the line protocol's MSG). Its names list
  // shows only the newcomer: everyone's would make N logins cost N^2 bytes (19,000
  // users: gigabytes); NAMES &public or WHO &public lists them on request.
  shared_.append_source(out, nick_, identity());
  append_join(out, {}, IrcProtocol::public_channel, (caps() & cap_extended_join) != 0,
              account_name(), IrcProtocol::real_name_of(nick_, identity()));
  numeric(out, nick_, 353, fmt::format("= {} :{}", IrcProtocol::public_channel, nick_));
  numeric(out, nick_, 366, fmt::format("{} :End of /NAMES list.", IrcProtocol::public_channel));
}

void IrcConnection::isupport(fmt::memory_buffer& out, std::string_view to,
                             std::size_t room_limit) const {
  // CHANLIMIT counts # channels only: &public is no room and takes none of them.
  const std::string chanlimit =
      room_limit == 0 ? std::string() : fmt::format("CHANLIMIT=#:{} ", room_limit);
  // Two lines: a 005 holds at most 13 tokens (RFC 2812's 15 parameters).
  numeric(out, to, 5,
          fmt::format("CHANTYPES=#& {}NICKLEN=32 CHANNELLEN=33 USERLEN={} CASEMAPPING=ascii "
                      "PREFIX=(ov)@+ CHANMODES=b,k,l,imnt :are supported by this server",
                      chanlimit, IrcProtocol::max_user_name_bytes + 1));
  numeric(out, to, 5,
          fmt::format("MODES={} TOPICLEN={} KEYLEN={} NETWORK=socketchat WHOX ELIST=MU "
                      "CHATHISTORY={} MSGREFTYPES=msgid,timestamp :are supported by this server",
                      ModeChanges::max_changes, RoomState::max_topic_bytes,
                      RoomState::max_key_bytes, max_history_messages));
}

void IrcConnection::motd(fmt::memory_buffer& out, std::string_view to) const {
  const auto lines = shared_.motd();
  if (lines.empty()) return numeric(out, to, 422, ":MOTD File is missing");
  numeric(out, to, 375, fmt::format(":- {} Message of the Day -", server()));
  for (const auto& line : lines) numeric(out, to, 372, fmt::format(":- {}", line));
  numeric(out, to, 376, ":End of /MOTD command.");
}

// WHOIS (311, 312, 318) or WHO <nick> (352, 315) of one user.
void IrcConnection::user_info(fmt::memory_buffer& out, std::string_view nick,
                              UserIdentity identity) const {
  if (asked_ == Asked::who) {
    if (who_takes(nick, identity)) who_line(out, "*", nick, identity, {});
    numeric(out, 315, fmt::format("{} :End of /WHO list.", target()));
    return;
  }
  numeric(out, 311,
          fmt::format("{} ~{} {} * :{}", nick, IrcProtocol::user_name_of(nick, identity), server(),
                      IrcProtocol::real_name_of(nick, identity)));
  numeric(out, 312, fmt::format("{} {} :socketchat", nick, server()));
  if (!identity.away.empty()) numeric(out, 301, fmt::format("{} :{}", nick, identity.away));
  end_of_whois(out);
}

void IrcConnection::who_line(fmt::memory_buffer& out, std::string_view channel,
                             std::string_view nick, UserIdentity identity,
                             std::string_view flags) const {
  const std::string_view away = identity.away.empty() ? "H" : "G";
  const std::string_view oper = identity.is_operator ? "*" : "";
  const std::string_view user = IrcProtocol::user_name_of(nick, identity);
  if (query().whox_fields.empty()) {
    fmt::format_to(
        std::back_inserter(out), ":{0} 352 {1} {2} ~{3} {0} {0} {4} {5}{6}{7} :0 {8}\r\n", server(),
        me(), channel, user, nick, away, oper, flags, IrcProtocol::real_name_of(nick, identity));
    return;
  }
  // WHOX: the fields asked for, in this order whatever the order asked (IRCv3's WHOX).
  auto it = std::back_inserter(out);
  fmt::format_to(it, ":{} 354 {}", server(), me());
  auto asked = [&](char field) { return query().whox_fields.find(field) != std::string::npos; };
  if (asked('t')) fmt::format_to(it, " {}", query().whox_token.empty() ? "0" : query().whox_token);
  if (asked('c')) fmt::format_to(it, " {}", channel);
  if (asked('u')) fmt::format_to(it, " ~{}", user);
  if (asked('i')) fmt::format_to(it, " 255.255.255.255");  // addresses are never shown
  if (asked('h')) fmt::format_to(it, " {}", server());
  if (asked('s')) fmt::format_to(it, " {}", server());
  if (asked('n')) fmt::format_to(it, " {}", nick);
  if (asked('f')) fmt::format_to(it, " {}{}{}", away, oper, flags);
  if (asked('d')) fmt::format_to(it, " 0");
  if (asked('l')) fmt::format_to(it, " 0");
  if (asked('a')) fmt::format_to(it, " {}", identity.account.empty() ? "0" : identity.account);
  if (asked('o')) fmt::format_to(it, " n/a");
  if (asked('r')) fmt::format_to(it, " :{}", IrcProtocol::real_name_of(nick, identity));
  out.append(std::string_view("\r\n"));
}

// A list of users answers NAMES (and a JOIN) or WHO.
namespace {

// IRC's prefix of a member: @ for a room operator, else + when voiced; with `every`
// (IRCv3's multi-prefix) both, in that order.
std::string_view prefix_of(std::span<const RoomRoles> roles, std::size_t i, bool every) noexcept {
  if (i >= roles.size()) return {};
  const RoomRoles r = roles[i];
  if (every && r.room_operator && r.voiced) return "@+";
  return r.room_operator ? "@" : r.voiced ? "+" : "";
}

}  // namespace

void IrcConnection::user_list(fmt::memory_buffer& out, std::span<const std::string_view> names,
                              std::span<const UserIdentity> identities,
                              std::span<const RoomRoles> roles, std::size_t max_bytes) const {
  switch (asked_) {
    case Asked::join_names:
    case Asked::names: {
      // 353 lines of as many names as fit in an IRC line.
      const ListEnd end(server(), me(), "NAMES", 366,
                        fmt::format("{} :End of /NAMES list.", target()));
      const std::size_t start = out.size();
      ListBudget budget(max_bytes, names.size(), start,
                        [&end](std::size_t left) { return end.size(left); });
      std::size_t line = 0;  // bytes of the 353 line being filled (its CR LF to come); 0: none
      const bool userhost = (caps() & cap_userhost_in_names) != 0;  // IRCv3: nick!~user@host
      std::string full;
      for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string_view prefix = prefix_of(roles, i, (caps() & cap_multi_prefix) != 0);
        if (userhost) {
          full = shared_.source(names[i], i < identities.size() ? identities[i] : UserIdentity{});
        }
        const std::string_view name = userhost ? std::string_view(full) : names[i];
        if (line != 0 && line + 1 + prefix.size() + name.size() > IrcProtocol::max_line_bytes) {
          out.append(std::string_view("\r\n"));
          line = 0;
        }
        const std::size_t before = out.size();
        if (line == 0) {
          fmt::format_to(std::back_inserter(out), ":{} 353 {} = {} :", server(), me(), target());
        } else {
          out.push_back(' ');
        }
        out.append(prefix);
        out.append(name);
        line += out.size() - before;
        if (!budget.add(out.size() + 2)) break;  // with the CR LF that ends its line
      }
      // A line is being filled after each name: the cut is inside one, then ended.
      out.resize(budget.kept() == 0 ? start : budget.kept_bytes() - 2);
      if (budget.kept() != 0) out.append(std::string_view("\r\n"));
      end.append(out, budget.left_out());
      break;
    }
    case Asked::who: {  // WHO #room lists the room, WHO &public (or a mask) everyone
      const ListEnd end(server(), me(), "WHO", 315, fmt::format("{} :End of /WHO list.", target()));
      auto identity_of = [&](std::size_t i) {
        return i < identities.size() ? identities[i] : UserIdentity{};
      };
      std::vector<std::size_t> taken;  // those the mask and flags take
      taken.reserve(names.size());
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (who_takes(names[i], identity_of(i))) taken.push_back(i);
      }
      const std::string_view channel =
          target().front() == '#' || target().front() == '&' ? std::string_view(target()) : "*";
      ListBudget budget(max_bytes, taken.size(), out.size(),
                        [&end](std::size_t left) { return end.size(left); });
      for (std::size_t i : taken) {
        who_line(out, channel, names[i], identity_of(i),
                 prefix_of(roles, i, (caps() & cap_multi_prefix) != 0));
        if (!budget.add(out.size())) break;
      }
      out.resize(budget.kept_bytes());
      end.append(out, budget.left_out());
      break;
    }
    default:
      break;
  }
}

// "nick=+~user@host" (USERHOST; '-' when away) or "nick" (ISON), after a space.
void IrcConnection::gather(const ServerMessage& m) const {
  if (!query().gathered.empty()) query().gathered.push_back(' ');
  if (asked_ == Asked::ison) {
    query().gathered.append(m.user);
    return;
  }
  fmt::format_to(std::back_inserter(query().gathered), "{}={}~{}@{}", m.user,
                 m.identity.away.empty() ? '+' : '-', IrcProtocol::user_name_of(m.user, m.identity),
                 server());
}

bool IrcConnection::who_takes(std::string_view nick, UserIdentity identity) const {
  return (query().who_mask.empty() || matches_mask(query().who_mask, nick)) &&
         (!query().who_operators || identity.is_operator);
}

bool IrcConnection::list_takes(const RoomSummary& room) const {
  if (query().list_more_than != 0 && room.members <= query().list_more_than) return false;
  if (query().list_fewer_than != 0 && room.members >= query().list_fewer_than) return false;
  if (query().list_masks.empty()) return true;
  for (std::string_view masks = query().list_masks; !masks.empty();) {
    const std::string_view mask = masks.substr(0, masks.find(','));
    masks.remove_prefix(std::min(masks.size(), mask.size() + 1));
    // "#general" or "#gen*": the room's name after the '#'.
    if (mask.size() > 1 && mask.front() == '#' && matches_mask(mask.substr(1), room.name)) {
      return true;
    }
  }
  return false;
}

void IrcConnection::end_of_whois(fmt::memory_buffer& out) const {
  numeric(out, 318, fmt::format("{} :End of /WHOIS list.", target()));
}

void IrcConnection::room_list(fmt::memory_buffer& out, std::span<const RoomSummary> rooms,
                              std::size_t max_bytes) const {
  numeric(out, 321, "Channel :Users  Name");
  const ListEnd end(server(), me(), "LIST", 323, ":End of /LIST");
  const std::size_t listed = static_cast<std::size_t>(std::count_if(
      rooms.begin(), rooms.end(), [&](const RoomSummary& r) { return list_takes(r); }));
  ListBudget budget(max_bytes, listed, out.size(),
                    [&end](std::size_t left) { return end.size(left); });
  for (const auto& room : rooms) {
    if (!list_takes(room)) continue;
    fmt::format_to(std::back_inserter(out), ":{} 322 {} #{} {} :{}\r\n", server(), me(), room.name,
                   room.members, room.topic);
    if (!budget.add(out.size())) break;
  }
  out.resize(budget.kept_bytes());
  end.append(out, budget.left_out());
}

namespace {

// Why a LOGIN with a password was refused, when it is not the password (or the name):
// empty for those, which the client is told no more about.
std::string_view login_refusal_reason(ReplyError error) noexcept {
  switch (error) {
    case ReplyError::tls_required:
      return "a password needs TLS here (ircs://)";
    case ReplyError::login_throttled:
      return "too many failed logins, try again later";
    case ReplyError::server_busy:
    case ReplyError::storage_failed:
    case ReplyError::rate_limited:
      return "the server is busy, try again later";
    case ReplyError::username_taken:
      return "the account is in use on another connection";
    default:
      return {};
  }
}

}  // namespace

void IrcConnection::login_refusal(fmt::memory_buffer& out, ReplyError error) const {
  const std::string_view reason = login_refusal_reason(error);
  if (asked_ == Asked::sasl) {  // to the nick asked for: nick_ is the account's name here
    const std::string_view to =
        registration().nick_asked.empty() ? std::string_view("*") : registration().nick_asked;
    if (reason.empty()) return numeric(out, to, 904, ":SASL authentication failed");
    return numeric(out, to, 904, fmt::format(":SASL authentication failed: {}", reason));
  }
  switch (error) {  // registration, with PASS or without
    case ReplyError::password_required:
      return numeric(out, 433,
                     fmt::format("{} :Nickname is reserved for a registered account", target()));
    case ReplyError::server_busy:
    case ReplyError::storage_failed:
      return numeric(out, 263, fmt::format("{} :Please wait a while and try again.", verb()));
    default:
      break;
  }
  if (reason.empty()) return numeric(out, 464, ":Password incorrect");
  numeric(out, 464, fmt::format(":Password refused: {}", reason));
}

void IrcConnection::error_reply(fmt::memory_buffer& out, ReplyError error,
                                std::string_view about) const {
  if (asked_ == Asked::notice) return;  // NOTICE is never answered (RFC 2812 3.3.2)
  if (asked_ == Asked::chathistory) return chathistory_error(out, error);
  if (asked_ == Asked::sasl) return login_refusal(out, error);
  if (asked_ == Asked::rename) {  // a guest's NICK: as its registration's LOGIN would be
    switch (error) {
      case ReplyError::password_required:
        return numeric(out, 433,
                       fmt::format("{} :Nickname is reserved for a registered account", target()));
      case ReplyError::banned:
        return numeric(out, 432, fmt::format("{} :Erroneous nickname (banned)", target()));
      case ReplyError::server_busy:
      case ReplyError::storage_failed:
        return numeric(out, 263, fmt::format("{} :Please wait a while and try again.", verb()));
      default:
        break;  // 432, 433, 438, 447 below
    }
  }
  if (asked_ == Asked::oper && error == ReplyError::not_operator) {
    return numeric(out, 491, ":No O-lines for your host");
  }
  if (asked_ == Asked::registration || asked_ == Asked::oper) {
    switch (error) {
      case ReplyError::password_required:
      case ReplyError::bad_credentials:
      case ReplyError::invalid_password:
      case ReplyError::weak_password:
      case ReplyError::password_too_long:
      case ReplyError::tls_required:
      case ReplyError::login_throttled:
      case ReplyError::server_busy:
      case ReplyError::storage_failed:
        return login_refusal(out, error);
      default:
        break;  // 432, 433, 462, 461 as below
    }
  }
  switch (error) {
    case ReplyError::line_too_long:
      return numeric(out, 417, ":Input line was too long");
    case ReplyError::invalid_utf8:
      fmt::format_to(std::back_inserter(out), ":{} NOTICE {} :Line ignored: not valid UTF-8\r\n",
                     server(), me());
      return;
    case ReplyError::invalid_username:
      return numeric(out, 432, fmt::format("{} :Erroneous nickname", target()));
    case ReplyError::username_taken:
      return numeric(out, 433, fmt::format("{} :Nickname is already in use", target()));
    case ReplyError::already_logged_in:
      return numeric(out, 462, ":You may not reregister");
    case ReplyError::not_logged_in:
      return numeric(out, 451, ":You have not registered");
    case ReplyError::unknown_command:
      return numeric(out, 421, fmt::format("{} :Unknown command", verb()));
    case ReplyError::missing_argument:
      return numeric(out, 461, fmt::format("{} :Not enough parameters", verb()));
    case ReplyError::invite_only:
      return numeric(out, 473, fmt::format("{} :Cannot join channel (+i)", target()));
    case ReplyError::bad_key:
      return numeric(out, 475, fmt::format("{} :Cannot join channel (+k)", target()));
    case ReplyError::room_full:
      return numeric(out, 471, fmt::format("{} :Cannot join channel (+l)", target()));
    case ReplyError::moderated:
      return numeric(out, 404, fmt::format("{} :Cannot send to channel (+m)", target()));
    case ReplyError::unknown_mode:
      return numeric(out, 472, fmt::format("{} :is unknown mode char to me", about));
    case ReplyError::invalid_argument:  // ERR_INVALIDMODEPARAM
      return numeric(out, 696, fmt::format("{} {} :Invalid mode parameter", target(), about));
    case ReplyError::empty_message:
      return numeric(out, 412, ":No text to send");
    case ReplyError::no_such_user:
      if (asked_ == Asked::userhost || asked_ == Asked::ison) return;  // left out of the line
      if (asked_ == Asked::kick) {
        return numeric(out, 441,
                       fmt::format("{} {} :They aren't on that channel", subject(), target()));
      }
      if (asked_ == Asked::mode_change) {
        return numeric(out, 441,
                       fmt::format("{} {} :They aren't on that channel", about, target()));
      }
      if (asked_ == Asked::invite) {
        return numeric(out, 401, fmt::format("{} :No such nick/channel", subject()));
      }
      if (asked_ == Asked::who) {  // WHO nick: an empty list
        return numeric(out, 315, fmt::format("{} :End of /WHO list.", target()));
      }
      numeric(out, 401, fmt::format("{} :No such nick/channel", target()));
      if (asked_ == Asked::whois) end_of_whois(out);
      return;
    case ReplyError::rate_limited:
      if (asked_ == Asked::rename) {  // ERR_NICKTOOFAST, as Hybrid and ratbox send it
        return numeric(out, 438,
                       fmt::format("{} :Nick change too fast. Please wait a while.", target()));
      }
      return numeric(out, 263, fmt::format("{} :Please wait a while and try again.", verb()));
    case ReplyError::message_rejected:
      return numeric(out, 404,
                     fmt::format("{} :Cannot send to channel (message rejected)", target()));
    case ReplyError::invalid_room:
      return numeric(out, 403, fmt::format("{} :No such channel", target()));
    case ReplyError::already_in_room:
      if (asked_ == Asked::invite) {
        return numeric(out, 443, fmt::format("{} {} :is already on channel", subject(), target()));
      }
      return;  // JOIN of a channel one is in: nothing
    case ReplyError::not_in_room:
      if (asked_ == Asked::part || asked_ == Asked::set_topic || asked_ == Asked::invite) {
        return numeric(out, 442, fmt::format("{} :You're not on that channel", target()));
      }
      return numeric(out, 404, fmt::format("{} :Cannot send to channel", target()));
    case ReplyError::no_such_room:
      if (asked_ == Asked::names)
        return numeric(out, 366, fmt::format("{} :End of /NAMES list.", target()));
      if (asked_ == Asked::who)
        return numeric(out, 315, fmt::format("{} :End of /WHO list.", target()));
      return numeric(out, 403, fmt::format("{} :No such channel", target()));
    case ReplyError::too_many_rooms:
      return numeric(out, 405, fmt::format("{} :You have joined too many channels", target()));
    case ReplyError::server_rooms_full:
      return numeric(
          out, 437,
          fmt::format("{} :Cannot create channel: the server has too many channels", target()));
    case ReplyError::storage_failed:
      fmt::format_to(std::back_inserter(out),
                     ":{} NOTICE {} :A message could not be stored, so it was not sent\r\n",
                     server(), me());
      return;
    case ReplyError::server_full:
    case ReplyError::too_many_connections:
    case ReplyError::invalid_count:
    case ReplyError::invalid_id:
    case ReplyError::username_registered:
    case ReplyError::weak_password:
    case ReplyError::password_too_long:
    case ReplyError::invalid_password:
    case ReplyError::registration_closed:
    case ReplyError::tls_required:
    case ReplyError::bad_credentials:
    case ReplyError::password_required:
    case ReplyError::login_throttled:
    case ReplyError::bad_token:
    case ReplyError::not_registered:
    case ReplyError::server_busy:
      break;
    case ReplyError::not_operator:
      return numeric(out, 482, fmt::format("{} :You're not channel operator", target()));
    case ReplyError::banned:
      if (asked_ == Asked::join) {
        return numeric(out, 474, fmt::format("{} :Cannot join channel (+b)", target()));
      }
      if (asked_ == Asked::registration) {
        return numeric(out, 465, ":You are banned from this server");
      }
      break;
    case ReplyError::muted:
      if (asked_ == Asked::rename) {
        return numeric(out, 447, ":Cannot change nickname while muted or banned");
      }
      if (!target().empty() && (target().front() == '#' || target().front() == '&')) {
        return numeric(out, 404, fmt::format("{} :Cannot send to channel (muted)", target()));
      }
      break;
    case ReplyError::too_many_bans:
      return numeric(out, 478, fmt::format("{} :Channel ban list is full", target()));
    case ReplyError::cannot_rename:  // ERR_NONICKCHANGE
      return numeric(out, 447, ":Cannot change nickname: it is an account's, or on a cluster");
  }
  fmt::format_to(std::back_inserter(out), ":{} NOTICE {} :{}\r\n", server(), me(), code_of(error));
}

}  // namespace socketchat::detail
