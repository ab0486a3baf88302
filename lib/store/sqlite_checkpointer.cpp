#include "store/sqlite_checkpointer.hpp"

#include <utility>

#include <sqlite3.h>

#include "util/background_thread.hpp"

namespace socketchat::detail {

SqliteCheckpointer::SqliteCheckpointer(SqliteDb own, sqlite3* writer, int pages, int writer_pages)
    : own_(std::move(own)), writer_(writer), pages_(pages), writer_pages_(writer_pages) {
  thread_ = std::thread([this] {
    run_as_background_thread();
    run();
  });
  // Replaces SQLite's autocheckpoint, which is a hook like this one.
  sqlite3_wal_hook(writer_, &SqliteCheckpointer::on_commit, this);
}

SqliteCheckpointer::~SqliteCheckpointer() {
  sqlite3_wal_hook(writer_, nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool SqliteCheckpointer::await_checkpoints(int count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return checkpointed_.wait_for(lock, timeout, [&] { return checkpoints_ >= count; });
}

int SqliteCheckpointer::writer_checkpoints() const {
  std::lock_guard lock(mutex_);
  return writer_checkpoints_;
}

// After each commit, on the committing thread, with the log's size in pages.
int SqliteCheckpointer::on_commit(void* self, sqlite3* writer, const char* schema, int pages) {
  auto& checkpointer = *static_cast<SqliteCheckpointer*>(self);
  if (pages >= checkpointer.writer_pages_) {
    // PASSIVE: copies what no reader needs, waits for nobody; failure is no error here
    // (the next commit tries again).
    if (sqlite3_wal_checkpoint_v2(writer, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) ==
        SQLITE_OK) {
      std::lock_guard lock(checkpointer.mutex_);
      ++checkpointer.writer_checkpoints_;
    }
    return SQLITE_OK;
  }
  if (pages >= checkpointer.pages_) {
    bool wake;
    {
      std::lock_guard lock(checkpointer.mutex_);
      wake = !std::exchange(checkpointer.due_, true);
    }
    if (wake) checkpointer.wake_.notify_one();
  }
  return SQLITE_OK;
}

void SqliteCheckpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return due_ || stopping_; });
    if (stopping_) return;
    due_ = false;
    lock.unlock();
    int result =
        sqlite3_wal_checkpoint_v2(own_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    if (result == SQLITE_OK) {
      ++checkpoints_;
      checkpointed_.notify_all();
    }
  }
}

}  // namespace socketchat::detail
