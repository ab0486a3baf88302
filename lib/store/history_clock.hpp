#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace socketchat::detail {

// Stamps records at the point where their order in the store is decided, never
// going backwards, so that "oldest first" by position is also oldest first by time
// (two I/O threads may read the clock in one order and append in the other; the
// wall clock itself may step back). Not thread-safe: its owner serialises stamps and marks.
class HistoryClock {
 public:
  std::int64_t stamp() {
    last_ = std::max({last_, floor_, now()});
    return last_;
  }

  // A time later than every stamp so far and no later than any stamp to come: what is
  // stamped before the call is older than it, what is stamped after is at or after
  // it, even within one millisecond. (A LOGIN is marked so; HISTORY @<user> shows the
  // DMs from that mark on.)
  std::int64_t mark() {
    floor_ = std::max({floor_, now(), last_ + 1});
    return floor_;
  }

 private:
  static std::int64_t now() {
    return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  }

  std::int64_t last_ = 0;   // the latest stamp
  std::int64_t floor_ = 0;  // the latest mark: no stamp is earlier
};

}  // namespace socketchat::detail
