#pragma once

#include <algorithm>
#include <chrono>

namespace socketchat::detail {

// A token bucket: `rate` commands a second on average, `burst` at once. A rate of
// 0 lets everything through. The rate is passed on each call, so a reload of the
// settings applies to connections already open.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  RateLimiter(double burst, Clock::time_point now) : tokens_(burst), last_(now) {}

  bool allow(Clock::time_point now, double rate, double burst) noexcept {
    if (rate <= 0) return true;
    std::chrono::duration<double> elapsed = now - last_;
    last_ = now;
    tokens_ = std::min(burst, tokens_ + elapsed.count() * rate);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double tokens_;
  Clock::time_point last_;
};

}  // namespace socketchat::detail
