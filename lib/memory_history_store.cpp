#include "socketchat/memory_history_store.hpp"

#include <algorithm>

#include "detail/text.hpp"
#include "socketchat/error.hpp"

namespace socketchat {

std::string dm_scope(std::string_view user_a, std::string_view user_b) {
  std::string a = detail::ascii_lower(user_a), b = detail::ascii_lower(user_b);
  if (b < a) std::swap(a, b);
  return "@" + a + "|" + b;
}

MemoryHistoryStore::MemoryHistoryStore(std::size_t per_scope, std::size_t max_scopes)
    : per_scope_(per_scope), max_scopes_(max_scopes) {
  if (per_scope_ == 0 || max_scopes_ == 0) {
    throw config_error("MemoryHistoryStore: per_scope and max_scopes must be at least 1");
  }
}

void MemoryHistoryStore::append(std::span<const HistoryRecord> records) {
  std::lock_guard lock(mutex_);
  for (const auto& record : records) {
    auto [it, created] = scopes_.try_emplace(record.scope);
    if (created) {
      recency_.push_front(record.scope);
    } else {
      recency_.splice(recency_.begin(), recency_, it->second.recency);
    }
    it->second.recency = recency_.begin();
    auto& kept = it->second.records;
    kept.push_back(record);
    if (kept.size() > per_scope_) kept.pop_front();
    if (scopes_.size() > max_scopes_) {
      scopes_.erase(recency_.back());
      recency_.pop_back();
    }
  }
}

std::vector<HistoryRecord> MemoryHistoryStore::latest(const std::string& scope, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto it = scopes_.find(scope);
  if (it == scopes_.end()) return {};
  const auto& kept = it->second.records;
  std::size_t n = std::min(limit, kept.size());
  return {kept.end() - static_cast<std::ptrdiff_t>(n), kept.end()};
}

std::size_t MemoryHistoryStore::prune(std::chrono::system_clock::time_point cutoff) {
  const auto cutoff_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  for (auto it = scopes_.begin(); it != scopes_.end();) {
    auto& kept = it->second.records;
    while (!kept.empty() && kept.front().unix_ms < cutoff_ms) {
      kept.pop_front();
      ++removed;
    }
    if (kept.empty()) {
      recency_.erase(it->second.recency);
      it = scopes_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace socketchat
