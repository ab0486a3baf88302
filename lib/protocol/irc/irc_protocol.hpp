#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "socketchat/protocol.hpp"

namespace socketchat::detail {

class IrcProtocol;

// The tags a message line carries for a client that asked for them (docs/IRC.md, IRCv3):
// the first line's ("@time=...;msgid=... "), and that of the lines a long text goes on
// in (no msgid: it names one message). Both empty: none asked for.
struct IrcLineTags {
  std::string first;
  std::string rest;
};

// A form of IrcProtocol for clients that asked for message tags (server-time,
// message-tags): what it spells for them, encoded once for all who share the form.
class IrcTaggedForm final : public Protocol {
 public:
  IrcTaggedForm(const IrcProtocol& base, std::uint16_t caps) : base_(base), caps_(caps) {}
  std::unique_ptr<Decoder> make_decoder() const override;
  Payload encode(const ServerMessage& message) const override;
  Payload keepalive_probe() const override;

 private:
  const IrcProtocol& base_;
  std::uint16_t caps_;
};

// IRC (RFC 1459 / RFC 2812, client side) as a second wire protocol: rooms are
// channels (room `general` is `#general`), the public feed is the channel
// `&public` that every IRC user is in, DMs are PRIVMSG to a nick. docs/IRC.md lists
// what is supported.
//
// This shared object spells what every IRC connection receives alike (broadcasts:
// PRIVMSG, JOIN, PART, QUIT) and makes one IrcConnection per connection, which
// spells the replies: those need the connection's nick and the command answered.
class IrcProtocol final : public Protocol {
 public:
  static constexpr std::string_view public_channel = "&public";
  static constexpr std::size_t max_line_bytes = 510;  // 512 with the CR LF (RFC 2812 2.3)
  // A client's message tags (IRCv3 message-tags): at most this many bytes after the '@',
  // and a line with them may be that much longer (its '@' and the space after them too).
  static constexpr std::size_t max_client_tag_bytes = 4094;
  static constexpr std::size_t max_tagged_line_bytes = max_client_tag_bytes + 2 + max_line_bytes;
  // A user name's bytes after its '~' (USERLEN); longer ones are cut.
  static constexpr std::size_t max_user_name_bytes = 10;
  static constexpr std::size_t max_real_name_bytes = 100;
  static constexpr std::size_t max_motd_bytes = 64 * 1024;

  // `server_name`: its name (is_server_name), also every user's host; empty: this
  // host's name, or "socketchat" when that is not a valid one.
  explicit IrcProtocol(std::string server_name = {});

  const std::string& server_name() const noexcept { return server_name_; }

  // Reads the message of the day from a UTF-8 text file; throws config_error if it
  // cannot. Before the server starts: connections read it without a lock.
  void read_motd(const std::string& path);
  // Its lines, each at most 80 bytes (longer ones wrapped); empty: no MOTD.
  std::span<const std::string> motd() const noexcept { return motd_; }

  std::unique_ptr<Decoder> make_decoder() const override;
  Payload encode(const ServerMessage& message) const override { return encode(message, 0); }
  // As a client with the IRCv3 capabilities `caps` receives it (only the tag ones count).
  Payload encode(const ServerMessage& message, std::uint16_t caps) const;
  Payload keepalive_probe() const override { return probe_; }
  // The form a client with the capabilities `caps` receives broadcasts in; null: this one.
  const Protocol* form(std::uint16_t caps) const noexcept;
  // The tags of a message's lines for a client with `caps`.
  static IrcLineTags line_tags(const ServerMessage& message, std::uint16_t caps);
  // IRCv3's WebSocket subprotocols: one IRC line per message, as text or as bytes.
  std::vector<WebSocketSubprotocol> websocket_subprotocols() const override {
    return {{.name = "text.ircv3.net", .binary = false},
            {.name = "binary.ircv3.net", .binary = true}};
  }

  // When the server started, for RPL_CREATED (003).
  const std::string& created() const noexcept { return created_; }

  // A user's user name without its '~': what its USER said, or its nick (a user of
  // another protocol), cut to max_user_name_bytes.
  static std::string_view user_name_of(std::string_view nick, UserIdentity identity) noexcept;
  // Its real name: what its USER said, or its nick (a user of another protocol).
  static std::string_view real_name_of(std::string_view nick, UserIdentity identity) noexcept {
    return identity.real_name.empty() ? nick : identity.real_name;
  }
  // "nick!~user@server": how a user appears as the source of a message; the host is
  // the server's name, a cloak.
  std::string source(std::string_view nick, UserIdentity identity) const;
  // Appends ":<source> " (with the space).
  void append_source(fmt::memory_buffer& out, std::string_view nick, UserIdentity identity) const;

  // Appends ":<source> PRIVMSG <prefix><target> :<text>\r\n" (NOTICE for a notice or a
  // CTCP reply; a CTCP's text between \x01s, an action's "/me <text>" as CTCP ACTION): as
  // several such lines when one would be over the 512 bytes of RFC 2812 2.3 (a line
  // user may send up to max_line_bytes, and the source makes an IRC user's 510 bytes
  // longer), the text cut between UTF-8 characters. `prefix` is "#" for a room, else empty.
  void append_message(fmt::memory_buffer& out, std::string_view nick, UserIdentity identity,
                      MessageKind kind, std::string_view prefix, std::string_view target,
                      std::string_view text, const IrcLineTags& tags = {}) const;

 private:
  std::string server_name_;
  std::string created_;
  Payload probe_;
  std::vector<std::string> motd_;
  // The other forms, one per set of the irc_form_caps (form()): made with it.
  std::array<std::unique_ptr<IrcTaggedForm>, 16> forms_;
};

// A unix time in ms as IRCv3's server-time spells it: "2026-12-05T21:00:00.123Z".
std::string irc_time(std::int64_t unix_ms);

// "PART <prefix><channel>[ :<reason>]\r\n", after a source.
void append_part(fmt::memory_buffer& out, std::string_view prefix, std::string_view channel,
                 std::string_view reason);
// "JOIN <prefix><channel>\r\n" after a source; with IRCv3's extended-join "JOIN
// <prefix><channel> <account> :<real name>\r\n", the account "*" for a guest.
void append_join(fmt::memory_buffer& out, std::string_view prefix, std::string_view channel,
                 bool extended, std::string_view account, std::string_view real_name);
// "QUIT :Quit[: <reason>]\r\n", after a source: "Quit: " tells a user's words from the
// server's (as InspIRCd and others do).
void append_quit(fmt::memory_buffer& out, std::string_view reason);

// Now, as "2026-12-05 16:30:00 UTC" (RPL_CREATED, TIME).
std::string utc_time_now();

}  // namespace socketchat::detail
