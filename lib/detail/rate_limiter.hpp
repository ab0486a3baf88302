#pragma once

#include <algorithm>
#include <chrono>

namespace socketchat::detail {

// A token bucket: `rate` commands a second on average, `burst` at once. A rate of
// 0 lets everything through.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  RateLimiter(double rate, double burst, Clock::time_point now)
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  bool allow(Clock::time_point now) noexcept {
    if (rate_ <= 0) return true;
    std::chrono::duration<double> elapsed = now - last_;
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace socketchat::detail
