#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "socketchat/command.hpp"
#include "store/history_query.hpp"

namespace socketchat::detail {

// A message as history kept it (PROTOCOL.md, Message ids): none when not kept.
struct KeptAs {
  std::string_view epoch{};
  std::uint64_t id = 0;
  std::int64_t time_ms = 0;
  // Its stamp: history's, or now for a message not kept.
  std::int64_t stamp() const noexcept;
};

// What a history reply answers: whose, where from, and how many.
struct HistoryAsk {
  HistoryOf of = HistoryOf::room;
  std::string name{};         // the room or user as asked for (the reply names it so)
  std::string scope{};        // the store's
  std::int64_t since_ms = 0;  // a guest's DMs: only from its LOGIN on
  HistoryAnchor anchor = HistoryAnchor::latest;
  std::string epoch{};  // the anchor's id (not latest)
  std::uint64_t id = 0;
  std::size_t limit = 50;

  HistoryQuery query() const {
    HistoryQuery q{.epoch = epoch, .latest_if_reset = anchor != HistoryAnchor::before};
    q.range.limit = limit;
    switch (anchor) {
      case HistoryAnchor::latest:
        break;
      case HistoryAnchor::after:
        q.range.after = id;
        q.range.newest = false;
        break;
      case HistoryAnchor::before:
        q.range.before = id;
        break;
      case HistoryAnchor::since:  // one more than it replays: were there more?
        q.range.after = id;
        q.range.limit = limit + 1;
        break;
    }
    return q;
  }
};

}  // namespace socketchat::detail
