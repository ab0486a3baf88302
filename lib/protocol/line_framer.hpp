#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "socketchat/protocol.hpp"

namespace socketchat::detail {

// Splits a byte stream into LF-terminated lines of at most max_line_bytes (without
// the LF and a CR right before it). A longer line is reported once, as soon as it is
// known to be too long, and then skipped up to its LF. Holds only the unfinished
// tail of the input, at most max_line_bytes + 1 bytes, and nothing between lines: an
// idle connection's framer is a pointer and a bound.
class LineFramer {
 public:
  // At most 64 MiB (ServerOptions::max_line_bytes' bound).
  explicit LineFramer(std::size_t max_line_bytes)
      : max_(static_cast<std::uint32_t>(max_line_bytes)) {}

  enum class Unit { line, too_long };

  // Calls on_unit(Unit, std::string_view line) for each line or too-long report, in
  // order, until it returns false or Flow::stop (stop after this unit) or Flow::retry
  // (stop before this line: it was not taken). The view is valid only during the
  // call. Returns how many bytes it took; the caller feeds the rest again later.
  template <class OnUnit>
  std::size_t feed(std::string_view bytes, OnUnit&& on_unit);

  std::size_t buffered() const noexcept { return partial_ ? partial_->size() : 0; }

 private:
  static std::string_view without_cr(std::string_view line) noexcept {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }

  // The start of a line whose LF has not come yet: made for it, dropped with it (never
  // empty).
  std::unique_ptr<std::string> partial_;
  std::uint32_t max_;
  bool discarding_ = false;  // inside a too-long line, waiting for its LF
};

template <class OnUnit>
std::size_t LineFramer::feed(std::string_view bytes, OnUnit&& on_unit) {
  const std::size_t total = bytes.size();
  auto taken = [&] { return total - bytes.size(); };
  auto flow = [&](Unit unit, std::string_view line) {
    if constexpr (std::is_same_v<decltype(on_unit(unit, line)), bool>) {
      return on_unit(unit, line) ? Flow::next : Flow::stop;
    } else {
      return on_unit(unit, line);
    }
  };
  while (!bytes.empty()) {
    std::size_t lf = bytes.find('\n');
    std::string_view piece = bytes.substr(0, lf);  // up to the LF, or all if none
    bytes.remove_prefix(lf == std::string_view::npos ? bytes.size() : lf + 1);
    bool complete = lf != std::string_view::npos;

    if (discarding_) {
      if (complete) {
        discarding_ = false;
        if (flow(Unit::line, std::string_view{}) != Flow::next)
          return taken();  // the skipped line's end
      }
      continue;
    }
    if (!complete) {
      // One byte of slack: a CR may yet turn out to precede the LF.
      if (buffered() + piece.size() > std::size_t{max_} + 1) {
        partial_.reset();
        discarding_ = true;
        if (flow(Unit::too_long, std::string_view{}) != Flow::next) return taken();
      } else {
        if (!partial_) partial_ = std::make_unique<std::string>();
        partial_->append(piece);
      }
      continue;
    }
    std::string_view line;
    const std::size_t held = buffered();
    if (held == 0) {
      line = without_cr(piece);  // the common case: no copy
    } else {
      partial_->append(piece);
      line = without_cr(*partial_);
    }
    Flow next =
        line.size() > max_ ? flow(Unit::too_long, std::string_view{}) : flow(Unit::line, line);
    if (next == Flow::retry) {  // not taken: as if this piece had not come yet
      if (held != 0) partial_->resize(held);
      return taken() - piece.size() - 1;
    }
    partial_.reset();
    if (next != Flow::next) return taken();
  }
  return total;
}

}  // namespace socketchat::detail
