#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "socketchat/command.hpp"
#include "store/history_query.hpp"

namespace socketchat::detail {

// A message as history kept it (PROTOCOL.md, Message ids): none when not kept.
struct KeptAs {
  // The sender's name as kept (its name when it sent it); empty for a message not kept.
  std::string_view from{};
  std::string_view epoch{};
  std::uint64_t id = 0;
  std::int64_t time_ms = 0;
  // Its stamp: history's, or now for a message not kept.
  std::int64_t stamp() const noexcept;
};

// A point in history a read starts or ends at: a message's id, or a time.
struct HistoryRef {
  std::string epoch{};  // of the id
  std::uint64_t id = 0;
  std::int64_t ms = 0;  // when id is 0 (unix ms); both 0: none

  bool present() const noexcept { return id != 0 || ms != 0; }
  // The range's lower end: records after this point.
  void bound_after(HistoryRange& range) const noexcept {
    if (id != 0)
      range.after = id;
    else
      range.after_ms = ms;
  }
  // The upper end: records before it.
  void bound_before(HistoryRange& range) const noexcept {
    if (id != 0)
      range.before = id;
    else
      range.before_ms = ms;
  }
};

// What a history reply answers: whose, where from, and how many.
struct HistoryAsk {
  HistoryOf of = HistoryOf::room;
  std::string name{};         // the room or user as asked for (the reply names it so)
  std::string scope{};        // the store's
  std::int64_t since_ms = 0;  // a guest's DMs: only from its LOGIN on
  HistoryAnchor anchor = HistoryAnchor::latest;
  HistoryRef ref{};
  HistoryRef ref_2{};  // between's second
  std::size_t limit = 50;
  bool unknown_id_is_error = false;

  HistoryQuery query() const {
    HistoryQuery q{.epoch = ref.id != 0 ? ref.epoch : std::string(),
                   .latest_if_reset = anchor != HistoryAnchor::before};
    HistoryRange& range = q.range;
    range.limit = limit;
    switch (anchor) {
      case HistoryAnchor::latest:  // after the reference, if any
        if (ref.present()) ref.bound_after(range);
        break;
      case HistoryAnchor::after:
        ref.bound_after(range);
        range.newest = false;
        break;
      case HistoryAnchor::before:
        ref.bound_before(range);
        break;
      case HistoryAnchor::since:  // one more than it replays: were there more?
        ref.bound_after(range);
        range.limit = limit + 1;
        break;
      case HistoryAnchor::around: {  // the earlier half (rounded up), then from the ref on
        range.limit = (limit + 1) / 2;
        ref.bound_before(range);
        HistoryRange later{.limit = limit - range.limit, .newest = false};
        if (ref.id != 0)
          later.after = ref.id - 1;
        else
          later.after_ms = ref.ms - 1;
        q.also = later;
        break;
      }
      case HistoryAnchor::between: {
        // From the side of the first reference: the first after it, or the latest before it.
        const bool rising = (ref.id != 0 && ref_2.id != 0)   ? ref.id < ref_2.id
                            : (ref.id == 0 && ref_2.id == 0) ? ref.ms < ref_2.ms
                                                             : true;
        const HistoryRef& low = rising ? ref : ref_2;
        const HistoryRef& high = rising ? ref_2 : ref;
        low.bound_after(range);
        high.bound_before(range);
        range.newest = !rising;
        break;
      }
    }
    return q;
  }
};

}  // namespace socketchat::detail
