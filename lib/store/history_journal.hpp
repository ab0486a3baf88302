#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "socketchat/history_store.hpp"

namespace socketchat::detail {

// An append-only file of history records that keeps them until an index (SQLite) has
// them: what makes a message durable before it is delivered, in one write() at the end
// of an I/O thread's round, while the index commits later, on a thread of its own
// (the way Redis's append-only file is written before its replies leave).
//
// A write() that has returned is in the kernel's page cache: a crash of the process
// cannot lose it; a power loss can (no fsync: that is what the index's synchronous=FULL
// is for, which writes no journal).
//
// Files "<base>.<n>", n rising; the newest is written, older ones are removed once
// every record in them is indexed. A record is its length, a checksum of the rest
// (libsodium's SipHash), then id, stamp and the three strings; reading stops at the
// first record that is cut short or does not match its checksum (a write cut by the
// crash), so what was read back is exactly what was written whole.
//
// Not thread-safe: its owner calls it under one lock.
class HistoryJournal {
 public:
  // A file holding this many bytes is closed and the next one started.
  static constexpr std::size_t file_bytes = 1 << 20;

  // Opens the journal of `base`, reading the records its files hold (found()); throws
  // std::system_error when a file cannot be read or the next one created.
  explicit HistoryJournal(std::filesystem::path base);
  ~HistoryJournal();
  HistoryJournal(const HistoryJournal&) = delete;
  HistoryJournal& operator=(const HistoryJournal&) = delete;

  // The records read when opened, in the order written; the owner indexes those it
  // lacks, then calls indexed().
  std::vector<HistoryRecord>& found() noexcept { return found_; }
  // Appends the records (ids set) in one write(); throws std::system_error, having
  // cut off whatever part of them reached the file.
  void write(std::span<const HistoryRecord> records);
  // The index holds every record with an id up to `id`: returns the files that hold no
  // other, for the caller to remove outside its lock (removing a file the kernel is
  // still writing back waits for it: milliseconds an I/O thread's journal() would wait).
  // The file being written is among them once it holds file_bytes / 16 or more, and
  // the next one is started; a smaller one stays, to be read again after a crash and
  // skipped (INSERT OR IGNORE), rather than a file made and removed per commit.
  std::vector<std::filesystem::path> indexed(std::uint64_t id);
  // Removes them; a file that cannot be removed is read again, and skipped, next time.
  static void remove(const std::vector<std::filesystem::path>& files) noexcept;
  // The files on disk now (for tests and reports).
  std::size_t files() const noexcept { return files_.size(); }

 private:
  struct File {
    std::uint64_t number = 0;
    std::uint64_t last_id = 0;  // the highest id written to it (0: none)
  };

  std::filesystem::path path_of(std::uint64_t number) const;
  void read(const std::filesystem::path& path);
  void start_file(std::uint64_t number);

  std::filesystem::path base_;
  std::deque<File> files_;  // oldest first; the back one is written
  int fd_ = -1;             // the back file's
  std::size_t size_ = 0;    // its bytes
  std::string buffer_;      // the records of one write(), kept for the next
  std::vector<HistoryRecord> found_;
};

}  // namespace socketchat::detail
