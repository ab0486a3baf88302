#pragma once

// Per receiver and sender, which sequence numbers arrived: one bit each, so a
// duplicate, a message overtaking an earlier one, and a loss are all told apart.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bench {

class SequenceCheck {
 public:
  enum class Verdict { in_order, reordered, duplicate, out_of_range };

  // Throws Failure when the bitmap would not fit in memory comfortably.
  SequenceCheck(std::size_t receivers, std::size_t senders, std::uint64_t max_sequence);

  Verdict record(std::size_t receiver, std::size_t sender, std::uint64_t sequence) noexcept;
  std::uint64_t received(std::size_t receiver, std::size_t sender) const noexcept {
    return pairs_[receiver * senders_ + sender].received;
  }

 private:
  struct Pair {
    std::uint64_t received = 0;
    std::uint64_t next = 0;  // one past the highest sequence seen
  };

  std::size_t senders_;
  std::uint64_t max_sequence_;
  std::size_t words_per_pair_;
  std::vector<Pair> pairs_;
  std::vector<std::uint64_t> bits_;
};

}  // namespace bench
