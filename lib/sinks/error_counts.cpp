#include "sinks/error_counts.hpp"

#include <algorithm>

namespace socketchat::detail {

void ErrorCounts::count(std::string_view detail) noexcept {
  if (detail.empty()) detail = other;
  std::lock_guard lock(mutex_);
  auto counted = [&](std::string_view name) {
    auto it = std::find_if(counts_.begin(), counts_.end(),
                           [&](const auto& entry) { return entry.first == name; });
    if (it == counts_.end()) return false;
    ++it->second;
    return true;
  };
  if (counted(detail)) return;
  // A new detail takes a slot while there is one; the last slot is kept for "other".
  if (counts_.size() >= max_details - 1) detail = other;
  if (counted(detail)) return;
  try {
    counts_.emplace_back(std::string(detail), 1);
  } catch (...) {  // out of memory: this one goes uncounted
  }
}

std::vector<std::pair<std::string, std::uint64_t>> ErrorCounts::snapshot() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

}  // namespace socketchat::detail
