#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>

#include "socketchat/history_store.hpp"

namespace socketchat {

struct SqliteHistoryOptions {
  // NORMAL (the default) survives a crash of the process, which is what the server
  // promises; FULL also survives a power loss, at one more fsync per append().
  bool sync_full = false;
  // How long a call waits on a database locked by another process before failing.
  std::chrono::milliseconds busy_timeout{2000};
  // The journal (journal()): what records written to it and not yet to the database may
  // take in memory, at most, each counted as its scope, sender and text plus
  // journal_record_overhead bytes; past that, a message waits for its commit. 0: no
  // journal, every message waits for its commit. Never with sync_full (the journal is
  // not fsynced).
  std::size_t journal_bytes = 32 << 20;
};

// History in an SQLite database file (WAL mode), e.g. "<data-dir>/history.db".
//
// The constructor opens or creates the file and brings its schema up to date; it
// throws config_error, naming the path, when the directory is missing, the file is
// not a database or is newer than this version understands, or the database cannot
// be written (read-only, or locked by another process for longer than busy_timeout).
//
// The journal: files "<path>-aof.<n>" beside the database, to which journal() writes
// records that append() indexes later; the constructor indexes whatever a crash left
// in them, and files whose records are all in the database are removed.
//
// Threads: append() and prune() share one write connection under a mutex; latest()
// and read() have a read connection of their own, so reading history never waits on a commit.
// All three may be called from any thread. The store also runs one thread of its own,
// with a third connection, that copies the WAL back into the file (checkpoints), so
// that append() does not have to; the destructor stops it. Built when
// SOCKETCHAT_HAS_SQLITE is 1.
class SqliteHistoryStore final : public HistoryStore {
 public:
  // What a record waiting in memory takes besides its strings, as journal_bytes counts.
  static constexpr std::size_t journal_record_overhead = 256;

  explicit SqliteHistoryStore(const std::filesystem::path& path, SqliteHistoryOptions options = {});
  ~SqliteHistoryStore() override;
  SqliteHistoryStore(const SqliteHistoryStore&) = delete;
  SqliteHistoryStore& operator=(const SqliteHistoryStore&) = delete;

  // One transaction per call: all of `records` or, on failure, none (and it throws
  // std::runtime_error).
  void append(std::span<HistoryRecord> records) override;
  // One write() to the journal; false when there is none or journal_bytes is reached.
  bool journal(std::span<HistoryRecord> records) override;
  HistoryPage read(const std::string& scope, const HistoryRange& range) override;
  // Made with the database, kept in it.
  std::string epoch() override;
  // Removes the records before the first one stamped at or after `cutoff`: records
  // are expected in the order of their stamps, as the server stores them (one stamped
  // earlier than a record before it waits for that one to go).
  std::vector<std::string> direct_scopes(std::string_view user) override;
  std::size_t prune(std::chrono::system_clock::time_point cutoff) override;
  bool blocking() const noexcept override { return true; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace socketchat
