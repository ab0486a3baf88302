#include "histogram.hpp"

#include <bit>

namespace bench {

namespace {

constexpr int sub_bits = 6;                       // 64 buckets per power of two
constexpr std::uint64_t linear = 2u << sub_bits;  // below 128 every value has its own bucket
constexpr std::size_t bucket_count = linear + (64 - sub_bits - 1) * (1u << sub_bits);

std::size_t bucket_of(std::uint64_t value) noexcept {
  if (value < linear) return value;
  int exponent = std::bit_width(value) - 1;  // >= sub_bits + 1
  int shift = exponent - sub_bits;
  std::uint64_t top = value >> shift;  // in [64, 128)
  return linear + static_cast<std::size_t>(exponent - sub_bits - 1) * (1u << sub_bits) +
         static_cast<std::size_t>(top - (1u << sub_bits));
}

// The middle of a bucket's range.
std::uint64_t value_of(std::size_t bucket) noexcept {
  if (bucket < linear) return bucket;
  std::size_t above = bucket - linear;
  int shift = static_cast<int>(above >> sub_bits) + 1;
  std::uint64_t top = (above & ((1u << sub_bits) - 1)) + (1u << sub_bits);
  std::uint64_t low = top << shift;
  return low + ((std::uint64_t{1} << shift) >> 1);
}

}  // namespace

Histogram::Histogram() : buckets_(bucket_count) {}

void Histogram::record(std::int64_t nanos) noexcept {
  auto value = static_cast<std::uint64_t>(nanos < 0 ? 0 : nanos);
  ++buckets_[bucket_of(value)];
  ++count_;
  sum_ += static_cast<double>(value);
  if (nanos > max_) max_ = nanos;
}

double Histogram::mean() const noexcept {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

std::int64_t Histogram::percentile(double fraction) const noexcept {
  if (count_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(fraction * static_cast<double>(count_));
  if (rank >= count_) rank = count_ - 1;
  std::uint64_t seen = 0;
  for (std::size_t bucket = 0; bucket < buckets_.size(); ++bucket) {
    seen += buckets_[bucket];
    if (seen > rank) {
      auto value = static_cast<std::int64_t>(value_of(bucket));
      return value < max_ ? value : max_;
    }
  }
  return max_;
}

}  // namespace bench
