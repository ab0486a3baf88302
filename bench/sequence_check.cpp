#include "sequence_check.hpp"

#include <fmt/format.h>

#include "failure.hpp"

namespace bench {

namespace {

constexpr std::uint64_t max_bitmap_bytes = std::uint64_t{1} << 30;

}  // namespace

SequenceCheck::SequenceCheck(std::size_t receivers, std::size_t senders, std::uint64_t max_sequence)
    : senders_(senders),
      max_sequence_(max_sequence),
      words_per_pair_((max_sequence + 63) / 64),
      pairs_(receivers * senders) {
  std::uint64_t bytes = static_cast<std::uint64_t>(pairs_.size()) * words_per_pair_ * 8;
  if (bytes > max_bitmap_bytes) {
    throw Failure(exit_setup, fmt::format("receivers x senders x messages is too large to check "
                                          "({} MiB of bitmap); use fewer messages",
                                          bytes >> 20));
  }
  bits_.resize(pairs_.size() * words_per_pair_);
}

SequenceCheck::Verdict SequenceCheck::record(std::size_t receiver, std::size_t sender,
                                             std::uint64_t sequence) noexcept {
  if (sequence >= max_sequence_ || sender >= senders_) return Verdict::out_of_range;
  std::size_t index = receiver * senders_ + sender;
  std::uint64_t& word = bits_[index * words_per_pair_ + sequence / 64];
  std::uint64_t bit = std::uint64_t{1} << (sequence % 64);
  if (word & bit) return Verdict::duplicate;
  word |= bit;
  Pair& pair = pairs_[index];
  ++pair.received;
  if (sequence + 1 < pair.next) return Verdict::reordered;
  pair.next = sequence + 1;
  return Verdict::in_order;
}

}  // namespace bench
