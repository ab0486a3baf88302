#pragma once

#include <cstddef>
#include <deque>
#include <list>
#include <mutex>
#include <unordered_map>

#include "socketchat/history_store.hpp"

namespace socketchat {

// History kept in memory, bounded: at most `per_scope` messages of each room, of the
// public feed and of each DM conversation, and at most `max_scopes` such histories
// (the one written to least recently goes first). For tests, and for embedders who
// want nothing on disk. Thread-safe; never blocks on I/O.
class MemoryHistoryStore final : public HistoryStore {
 public:
  explicit MemoryHistoryStore(std::size_t per_scope = 500, std::size_t max_scopes = 10000);

  void append(std::span<const HistoryRecord> records) override;
  std::vector<HistoryRecord> latest(const std::string& scope, std::size_t limit) override;
  std::size_t prune(std::chrono::system_clock::time_point cutoff) override;
  bool blocking() const noexcept override { return false; }

 private:
  struct Scope {
    std::deque<HistoryRecord> records;
    std::list<std::string>::iterator recency;  // its place in recency_
  };

  std::size_t per_scope_;
  std::size_t max_scopes_;
  std::mutex mutex_;
  std::unordered_map<std::string, Scope> scopes_;
  std::list<std::string> recency_;  // scope names, most recently written first
};

}  // namespace socketchat
