#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "socketchat/protocol.hpp"

namespace socketchat::detail {

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
  static constexpr std::string_view server_name = "socketchat";
  static constexpr std::string_view public_channel = "&public";
  static constexpr std::size_t max_line_bytes = 510;  // 512 with the CR LF (RFC 2812 2.3)

  IrcProtocol();

  std::unique_ptr<Decoder> make_decoder() const override;
  Payload encode(const ServerMessage& message) const override;
  Payload keepalive_probe() const override { return probe_; }
  // IRCv3's WebSocket subprotocols: one IRC line per message, as text or as bytes.
  std::vector<WebSocketSubprotocol> websocket_subprotocols() const override {
    return {{.name = "text.ircv3.net", .binary = false},
            {.name = "binary.ircv3.net", .binary = true}};
  }

  // When the server started, for RPL_CREATED (003).
  const std::string& created() const noexcept { return created_; }

 private:
  std::string created_;
  Payload probe_;
};

// "nick!nick@socketchat": how a user appears as the source of a message.
std::string irc_source(std::string_view nick);

// Appends ":nick!nick@socketchat PRIVMSG <prefix><target> :<text>\r\n": as several such
// lines when one would be over the 512 bytes of RFC 2812 2.3 (a line-protocol user may
// send up to max_line_bytes, and the source makes an IRC user's 510 bytes longer), the
// text cut between UTF-8 characters. `prefix` is "#" for a room, else empty.
void append_privmsg(fmt::memory_buffer& out, std::string_view nick, std::string_view prefix,
                    std::string_view target, std::string_view text);

}  // namespace socketchat::detail
