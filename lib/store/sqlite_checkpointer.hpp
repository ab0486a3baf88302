#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store/sqlite_handles.hpp"

namespace socketchat::detail {

// Copies a database's write-ahead log back into the file (a checkpoint) on a thread and
// connection of its own, so that commits never wait for one. SQLite's own checkpoint
// runs on the commit that takes the log past 1,000 pages, and with synchronous=NORMAL
// it syncs the log and the file: a few milliseconds on that commit, and on every
// message waiting for it. Here the committing connection only signals; it checkpoints
// itself only if the log reaches `writer_pages` (a checkpoint that cannot keep up must
// not let the log grow without end). What survives a crash does not change: a
// checkpoint moves committed pages, it never decides what is committed.
class SqliteCheckpointer {
 public:
  static constexpr int default_pages = 1000;          // SQLite's own default
  static constexpr int default_writer_pages = 10000;  // about 40 MiB of log

  // `own`: a connection of the checkpointer's, to the database `writer` commits to.
  SqliteCheckpointer(SqliteDb own, sqlite3* writer, int pages = default_pages,
                     int writer_pages = default_writer_pages);
  ~SqliteCheckpointer();  // stops and joins the thread
  SqliteCheckpointer(const SqliteCheckpointer&) = delete;
  SqliteCheckpointer& operator=(const SqliteCheckpointer&) = delete;

  // For tests: waits until the thread has done `count` checkpoints, at most `timeout`;
  // and how many the committing connection did itself.
  bool await_checkpoints(int count, std::chrono::milliseconds timeout) const;
  int writer_checkpoints() const;

 private:
  static int on_commit(void* self, sqlite3* writer, const char* schema, int pages);
  void run();

  SqliteDb own_;
  sqlite3* writer_;
  const int pages_;
  const int writer_pages_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  mutable std::condition_variable checkpointed_;
  bool due_ = false;
  bool stopping_ = false;
  int checkpoints_ = 0;
  int writer_checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace socketchat::detail
