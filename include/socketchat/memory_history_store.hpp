#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <unordered_map>

#include "socketchat/history_store.hpp"

namespace socketchat {

// History kept in memory, bounded three ways: at most `per_scope` messages of each
// room, of the public feed and of each DM conversation; at most `max_scopes` such
// histories; and at most `max_bytes` for all the messages together (each counts its
// text, sender and scope plus the record itself; see record_bytes()). Past a bound,
// the history written to least recently loses its oldest messages first, and goes
// when it has none left. For tests, and for embedders who want nothing on disk. Its
// epoch is new with every store, as its history is.
// Thread-safe; never blocks on I/O.
class MemoryHistoryStore final : public HistoryStore {
 public:
  static constexpr std::size_t default_per_scope = 500;
  static constexpr std::size_t default_max_scopes = 10000;
  static constexpr std::size_t default_max_bytes = std::size_t{64} << 20;  // 64 MiB

  explicit MemoryHistoryStore(std::size_t per_scope = default_per_scope,
                              std::size_t max_scopes = default_max_scopes,
                              std::size_t max_bytes = default_max_bytes);

  void append(std::span<HistoryRecord> records) override;
  HistoryPage read(const std::string& scope, const HistoryRange& range) override;
  std::string epoch() override { return epoch_; }
  std::vector<std::string> direct_scopes(std::string_view user) override;
  std::size_t prune(std::chrono::system_clock::time_point cutoff) override;
  bool blocking() const noexcept override { return false; }

  // What one record counts against max_bytes.
  static std::size_t record_bytes(const HistoryRecord& record) noexcept;
  // What the records kept now count; never more than max_bytes.
  std::size_t bytes() const;

 private:
  struct Scope {
    std::deque<HistoryRecord> records;
    std::list<std::string>::iterator recency;  // its place in recency_
    std::uint64_t removed_through = 0;         // the highest id it may have lost
  };

  // Drops the oldest record of `scope`, and the scope when that was its last.
  void drop_oldest(std::unordered_map<std::string, Scope>::iterator scope);
  // Drops `scope` with all its records.
  void drop_scope(std::unordered_map<std::string, Scope>::iterator scope);

  std::size_t per_scope_;
  std::size_t max_scopes_;
  std::size_t max_bytes_;
  const std::string epoch_;
  mutable std::mutex mutex_;
  std::uint64_t last_id_ = 0;
  // The highest id of a scope dropped whole: a scope made anew may have lost up to it.
  std::uint64_t forgotten_through_ = 0;
  std::size_t bytes_ = 0;  // record_bytes() of every record kept
  std::unordered_map<std::string, Scope> scopes_;
  std::list<std::string> recency_;  // scope names, most recently written first
};

}  // namespace socketchat
