#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace socketchat::detail {

// Stamps records at the point where their order in the store is decided, never
// going backwards, so that "oldest first" by position is also oldest first by time
// (two I/O threads may read the clock in one order and append in the other; the
// wall clock itself may step back). Not thread-safe: its owner serialises appends.
class HistoryClock {
 public:
  std::int64_t stamp() {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    last_ = std::max(last_, static_cast<std::int64_t>(now));
    return last_;
  }

 private:
  std::int64_t last_ = 0;
};

}  // namespace socketchat::detail
