#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace socketchat::detail {

// Splits a byte stream into LF-terminated lines of at most max_line_bytes (without
// the LF and a CR right before it). A longer line is reported once, as soon as it is
// known to be too long, and then skipped up to its LF. Holds only the unfinished
// tail of the input, at most max_line_bytes + 1 bytes.
class LineFramer {
 public:
  explicit LineFramer(std::size_t max_line_bytes) : max_(max_line_bytes) {}

  enum class Unit { line, too_long };

  // Calls on_unit(Unit, std::string_view line) for each line or too-long report, in
  // order, until it returns false. The view is valid only during the call. Returns
  // how many bytes it took: all of them, or those up to the end of the line whose
  // on_unit returned false (the caller keeps the rest for later).
  template <class OnUnit>
  std::size_t feed(std::string_view bytes, OnUnit&& on_unit);

  std::size_t buffered() const noexcept { return partial_.size(); }

 private:
  static std::string_view without_cr(std::string_view line) noexcept {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  std::size_t max_;
  std::string partial_;     // the start of a line whose LF has not come yet
  bool discarding_ = false;  // inside a too-long line, waiting for its LF
};

template <class OnUnit>
std::size_t LineFramer::feed(std::string_view bytes, OnUnit&& on_unit) {
  const std::size_t total = bytes.size();
  auto taken = [&] { return total - bytes.size(); };
  while (!bytes.empty()) {
    std::size_t lf = bytes.find('\n');
    std::string_view piece = bytes.substr(0, lf);  // up to the LF, or all if none
    bytes.remove_prefix(lf == std::string_view::npos ? bytes.size() : lf + 1);
    bool complete = lf != std::string_view::npos;

    if (discarding_) {
      if (complete) {
        discarding_ = false;
        if (!on_unit(Unit::line, std::string_view{})) return taken();  // the skipped line's end
      }
      continue;
    }
    if (!complete) {
      // One byte of slack: a CR may yet turn out to precede the LF.
      if (partial_.size() + piece.size() > max_ + 1) {
        partial_.clear();
        partial_.shrink_to_fit();
        discarding_ = true;
        if (!on_unit(Unit::too_long, std::string_view{})) return taken();
      } else {
        partial_.append(piece);
      }
      continue;
    }
    std::string_view line;
    if (partial_.empty()) {
      line = without_cr(piece);  // the common case: no copy
    } else {
      partial_.append(piece);
      line = without_cr(partial_);
    }
    bool keep_going = line.size() > max_ ? on_unit(Unit::too_long, std::string_view{})
                                          : on_unit(Unit::line, line);
    if (!partial_.empty()) {
      partial_.clear();
      if (partial_.capacity() > 1024) partial_.shrink_to_fit();  // idle clients stay small
    }
    if (!keep_going) return taken();
  }
  return total;
}

}  // namespace socketchat::detail
