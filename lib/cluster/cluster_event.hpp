#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "socketchat/history_store.hpp"

namespace socketchat::detail {

// What one node tells the others on its Redis channels (docs/CLUSTER.md, Channels):
// one line of tab-separated words, the text last (it may hold tabs; names never do).
// The scripts in Redis publish arrivals, departures, joins and parts in the same form.
struct ClusterEvent {
  enum class Kind : char {
    arrived = 'A',       // node, user: logged in (claimed the name)
    departed = 'D',      // node, user: gone (released, or its node reaped)
    joined = 'J',        // node, user, target: a room as spelled
    parted = 'P',        // node, user, target: a room as spelled
    message = 'M',       // node, user, text: to everyone
    room_message = 'R',  // node, user, target: the room's key, text
    direct = 'T',        // node, user, target: the recipient, text
    moderated = 'X',     // node, user: who did it, target: "*" or a room key, text: what
                         // ("ban", "unban", "mute" or "unmute"), a space, the user's key
    kicked = 'K',        // node, user: who kicks, target: the room key, text: "1 " (an
                         // operator) or "0 ", the kicked user's name, a space, the reason
  };

  Kind kind = Kind::message;
  std::string_view node{};
  std::string_view user{};
  std::string_view target{};
  std::string_view text{};

  // The message a history record holds, as sent by `node`: public (scope "*"), to a
  // room ("#<key>"), or a DM ("@<a>|<b>": to the one of the two who is not its sender,
  // kept in `recipient`). Nothing for a scope of no such form. Its words are views into
  // `node`, `record` and `recipient`, which must outlive it.
  static std::optional<ClusterEvent> of_message(std::string_view node, const HistoryRecord& record,
                                                std::string& recipient);

  std::string encode() const;
  // Views into `payload`; nothing if it is not an event of this version.
  static std::optional<ClusterEvent> decode(std::string_view payload);
};

// The feed's backlog: every stored message, as published, kept for the last
// cluster_backlog messages, so that a node whose subscription broke delivers what it
// missed when it is back (docs/CLUSTER.md, Failures).
inline constexpr std::string_view feed_backlog_key = "sc:feed:log";

// A message's place in the backlog: its stream entry id, "<ms>-<seq>", in the order Redis
// stored (and published) them.
struct FeedId {
  std::uint64_t ms = 0;
  std::uint64_t seq = 0;

  auto operator<=>(const FeedId&) const = default;
  static std::optional<FeedId> parse(std::string_view text);
  std::string text() const;
};

// A stored message as the backlog keeps it: "<epoch>\t<n>\t<unix-ms>\t<event>", its id
// (PROTOCOL.md, Message ids) and stamp as the history store gave them, then the event.
// Views into the text. Nothing for any other text.
struct KeptEvent {
  std::string_view epoch;
  std::uint64_t n = 0;
  std::int64_t unix_ms = 0;
  std::string_view event;

  static std::optional<KeptEvent> of(std::string_view text);
};

// A stored message as the feed carries it: "S\t<feed id>\t" and the KeptEvent. Nothing
// for any other payload.
struct FeedEntry {
  FeedId id;
  KeptEvent kept;

  static std::optional<FeedEntry> of(std::string_view payload);
};

}  // namespace socketchat::detail
