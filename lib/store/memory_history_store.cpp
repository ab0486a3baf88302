#include "socketchat/memory_history_store.hpp"

#include <algorithm>
#include <cstdint>

#include "socketchat/error.hpp"
#include "store/history_epoch.hpp"
#include "util/text.hpp"

namespace socketchat {

std::string dm_scope(std::string_view user_a, std::string_view user_b) {
  std::string a = detail::ascii_lower(user_a), b = detail::ascii_lower(user_b);
  if (b < a) std::swap(a, b);
  return "@" + a + "|" + b;
}

bool is_dm_scope_of(std::string_view scope, std::string_view user_key) noexcept {
  if (!scope.starts_with('@') || user_key.empty()) return false;
  const std::size_t bar = scope.find('|');
  if (bar == std::string_view::npos) return false;
  return scope.substr(1, bar - 1) == user_key || scope.substr(bar + 1) == user_key;
}

MemoryHistoryStore::MemoryHistoryStore(std::size_t per_scope, std::size_t max_scopes,
                                       std::size_t max_bytes)
    : per_scope_(per_scope),
      max_scopes_(max_scopes),
      max_bytes_(max_bytes),
      epoch_(detail::new_history_epoch()) {
  if (per_scope_ == 0 || max_scopes_ == 0 || max_bytes_ == 0) {
    throw config_error(
        "MemoryHistoryStore: per_scope, max_scopes and max_bytes must be at least 1");
  }
}

std::size_t MemoryHistoryStore::record_bytes(const HistoryRecord& record) noexcept {
  return sizeof(HistoryRecord) + record.scope.size() + record.from.size() + record.text.size();
}

std::vector<std::string> MemoryHistoryStore::direct_scopes(std::string_view user) {
  const std::string key = detail::ascii_lower(user);
  std::lock_guard lock(mutex_);
  std::vector<std::string> found;
  for (const auto& [scope, kept] : scopes_) {
    if (is_dm_scope_of(scope, key)) found.push_back(scope);
  }
  return found;
}

std::size_t MemoryHistoryStore::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void MemoryHistoryStore::drop_oldest(std::unordered_map<std::string, Scope>::iterator scope) {
  auto& kept = scope->second.records;
  bytes_ -= record_bytes(kept.front());
  scope->second.removed_through = kept.front().id;
  kept.pop_front();
  if (kept.empty()) drop_scope(scope);
}

void MemoryHistoryStore::drop_scope(std::unordered_map<std::string, Scope>::iterator scope) {
  for (const auto& record : scope->second.records) bytes_ -= record_bytes(record);
  const auto& kept = scope->second.records;
  forgotten_through_ = std::max(
      {forgotten_through_, scope->second.removed_through, kept.empty() ? 0 : kept.back().id});
  recency_.erase(scope->second.recency);
  scopes_.erase(scope);
}

void MemoryHistoryStore::append(std::span<HistoryRecord> records) {
  std::lock_guard lock(mutex_);
  for (auto& record : records) {
    record.id = ++last_id_;
    auto [it, created] = scopes_.try_emplace(record.scope);
    if (created) {
      recency_.push_front(record.scope);
      it->second.removed_through = forgotten_through_;
    } else {
      recency_.splice(recency_.begin(), recency_, it->second.recency);
    }
    it->second.recency = recency_.begin();
    it->second.records.push_back(record);
    bytes_ += record_bytes(record);
    if (it->second.records.size() > per_scope_) drop_oldest(it);  // never its last
    if (scopes_.size() > max_scopes_) drop_scope(scopes_.find(recency_.back()));
    // Over the budget: the history written to least recently gives up its oldest
    // first, the one just written last of all (a record larger than the whole budget
    // is not kept either).
    while (bytes_ > max_bytes_) drop_oldest(scopes_.find(recency_.back()));
  }
}

HistoryPage MemoryHistoryStore::read(const std::string& scope, const HistoryRange& range) {
  std::lock_guard lock(mutex_);
  HistoryPage page{.last_id = last_id_};
  auto it = scopes_.find(scope);
  if (it == scopes_.end()) {
    page.gap = range.after < forgotten_through_;
    return page;
  }
  page.gap = range.after < it->second.removed_through;
  const auto& kept = it->second.records;
  // Ids rise through the deque: the range is found by halves.
  auto first = std::upper_bound(kept.begin(), kept.end(), range.after,
                                [](std::uint64_t id, const HistoryRecord& r) { return id < r.id; });
  auto last =
      range.before == 0
          ? kept.end()
          : std::lower_bound(first, kept.end(), range.before,
                             [](const HistoryRecord& r, std::uint64_t id) { return r.id < id; });
  // Stamps rise with ids too (HistoryClock): times bound the range the same way.
  if (range.after_ms != 0) {
    first =
        std::upper_bound(first, last, range.after_ms,
                         [](std::int64_t ms, const HistoryRecord& r) { return ms < r.unix_ms; });
  }
  if (range.before_ms != 0) {
    last = std::lower_bound(first, last, range.before_ms,
                            [](const HistoryRecord& r, std::int64_t ms) { return r.unix_ms < ms; });
  }
  const auto n =
      static_cast<std::ptrdiff_t>(std::min(static_cast<std::size_t>(last - first), range.limit));
  if (range.newest) {
    page.records.assign(last - n, last);
  } else {
    page.records.assign(first, first + n);
  }
  return page;
}

std::size_t MemoryHistoryStore::prune(std::chrono::system_clock::time_point cutoff) {
  const auto cutoff_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  for (auto it = scopes_.begin(); it != scopes_.end();) {
    auto& kept = it->second.records;
    while (!kept.empty() && kept.front().unix_ms < cutoff_ms) {
      bytes_ -= record_bytes(kept.front());
      it->second.removed_through = kept.front().id;
      kept.pop_front();
      ++removed;
    }
    if (kept.empty()) {
      forgotten_through_ = std::max(forgotten_through_, it->second.removed_through);
      recency_.erase(it->second.recency);
      it = scopes_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace socketchat
