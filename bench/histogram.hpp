#pragma once

// Latencies in nanoseconds, recorded in constant memory and time: log-linear buckets,
// 64 per power of two, so a percentile is off by at most 1/64 (1.6 %). The maximum
// is exact.

#include <cstdint>
#include <vector>

namespace bench {

class Histogram {
 public:
  Histogram();
  void record(std::int64_t nanos) noexcept;
  std::uint64_t count() const noexcept { return count_; }
  std::int64_t max() const noexcept { return max_; }
  double mean() const noexcept;
  // The value below which `fraction` (0..1) of the records lie; 0 when empty.
  std::int64_t percentile(double fraction) const noexcept;

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace bench
