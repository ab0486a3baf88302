#pragma once

#include <cstdint>
#include <string_view>

namespace socketchat::detail {

// The IRCv3 capabilities a client may ask for (docs/IRC.md, IRCv3), as bits of a set.
enum IrcCap : std::uint16_t {
  cap_multi_prefix = 1 << 0,
  cap_sasl = 1 << 1,
  cap_message_tags = 1 << 2,
  cap_server_time = 1 << 3,
  cap_echo_message = 1 << 4,
  cap_batch = 1 << 5,
  cap_chathistory = 1 << 6,
  cap_cap_notify = 1 << 7,
  cap_account_notify = 1 << 8,
  cap_away_notify = 1 << 9,
  cap_userhost_in_names = 1 << 10,
  cap_extended_join = 1 << 11,
  cap_labeled_response = 1 << 12,
};

struct IrcCapName {
  std::string_view name;
  IrcCap cap;
  std::string_view value;  // shown by CAP LS 302 as name=value; empty: none
};

// In the order CAP LS and CAP LIST show them.
inline constexpr IrcCapName irc_caps[] = {
    {"multi-prefix", cap_multi_prefix, {}},           {"sasl", cap_sasl, "PLAIN"},
    {"message-tags", cap_message_tags, {}},           {"server-time", cap_server_time, {}},
    {"echo-message", cap_echo_message, {}},           {"batch", cap_batch, {}},
    {"draft/chathistory", cap_chathistory, {}},       {"cap-notify", cap_cap_notify, {}},
    {"account-notify", cap_account_notify, {}},       {"away-notify", cap_away_notify, {}},
    {"userhost-in-names", cap_userhost_in_names, {}}, {"extended-join", cap_extended_join, {}},
    {"labeled-response", cap_labeled_response, {}},
};

// The capabilities that change how a broadcast is spelled: each set of them is a form of
// IrcProtocol of its own (IrcProtocol::form), encoded once for all who asked for it.
inline constexpr std::uint16_t irc_form_caps =
    cap_message_tags | cap_server_time | cap_away_notify | cap_extended_join;

}  // namespace socketchat::detail
