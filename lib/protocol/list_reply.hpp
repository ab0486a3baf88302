#pragma once

#include <cstddef>

namespace socketchat::detail {

// How much of a list fits in one reply of at most max_bytes (ServerMessage::max_bytes,
// PROTOCOL.md "Long lists"). An encoder appends the entries in order and tells the size
// the reply would have with each; the budget keeps the longest prefix that fits with
// the end the list then needs (`tail_size(left)`: the bytes of the end of a list that
// left out `left` entries, the note of what was left out included). The note can be
// longer than the last entries it stands for, so a list may fit whole after a prefix
// did not fit with it; entries are therefore taken until not even the bare end could
// follow, which is a few entries past the cut at most.
template <class TailSize>
class ListBudget {
 public:
  // `start`: the reply's size before the first entry. max_bytes 0: no limit.
  ListBudget(std::size_t max_bytes, std::size_t total, std::size_t start, TailSize tail_size)
      : max_(max_bytes), total_(total), tail_size_(tail_size), kept_bytes_(start) {}

  // With one more entry the reply is `bytes` long (its end not counted). False when no
  // further entry can be kept: stop adding.
  bool add(std::size_t bytes) {
    ++count_;
    if (max_ == 0 || bytes + tail_size_(total_ - count_) <= max_) {
      kept_ = count_;
      kept_bytes_ = bytes;
    }
    return max_ == 0 || bytes + tail_size_(0) <= max_;
  }

  // The entries kept, and the reply's size with them (its end not counted). When not
  // even the end fits after no entry, none is kept and the end is sent alone.
  std::size_t kept() const noexcept { return kept_; }
  std::size_t kept_bytes() const noexcept { return kept_bytes_; }
  std::size_t left_out() const noexcept { return total_ - kept_; }

 private:
  std::size_t max_;
  std::size_t total_;
  TailSize tail_size_;
  std::size_t count_ = 0;
  std::size_t kept_ = 0;
  std::size_t kept_bytes_;
};

}  // namespace socketchat::detail
