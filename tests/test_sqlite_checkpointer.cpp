// SqliteCheckpointer: the write-ahead log is checkpointed by its thread, not by the
// commits; the committing connection steps in only when the log outgrows its bound
// (here: a reader holds an old snapshot, so no checkpoint can empty the log).
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "store/sqlite_checkpointer.hpp"
#include "support/temp_dir.hpp"

using namespace socketchat::detail;
using namespace std::chrono_literals;

namespace {

SqliteDb open_db(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  return SqliteDb(db);
}

void exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  int result = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  INFO(sql, ": ", error ? error : "");
  sqlite3_free(error);
  REQUIRE(result == SQLITE_OK);
}

// A WAL database with one table, as the history store keeps it.
struct Database : socketchat::test::TempDir {
  Database() : TempDir("socketchat-checkpointer") {
    writer = open_db(path / "history.db");
    exec(writer.get(), "PRAGMA journal_mode=WAL");
    exec(writer.get(), "PRAGMA synchronous=NORMAL");
    exec(writer.get(), "CREATE TABLE messages(id INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  }
  // `commits` transactions of a row of 8 KiB each: two or three pages of log apiece.
  void commit(int commits) {
    for (int i = 0; i < commits; ++i) {
      exec(writer.get(), "INSERT INTO messages(text) VALUES(printf('%.8192c', 'x'))");
    }
  }
  SqliteDb writer;
};

}  // namespace

TEST_CASE("the log is checkpointed by the checkpointer's thread, never by a commit") {
  Database database;
  SqliteCheckpointer checkpointer(open_db(database.path / "history.db"), database.writer.get(),
                                  /*pages=*/20, /*writer_pages=*/1'000'000);
  database.commit(50);
  CHECK(checkpointer.await_checkpoints(1, 10s));
  database.commit(50);
  CHECK(checkpointer.await_checkpoints(2, 10s));
  CHECK(checkpointer.writer_checkpoints() == 0);
}

TEST_CASE("no checkpoint before the log holds `pages`") {
  Database database;
  SqliteCheckpointer checkpointer(open_db(database.path / "history.db"), database.writer.get(),
                                  /*pages=*/1000, /*writer_pages=*/1'000'000);
  database.commit(50);  // about 150 pages
  CHECK_FALSE(checkpointer.await_checkpoints(1, 200ms));
}

TEST_CASE("a log no checkpoint can empty is checkpointed by the commits past its bound") {
  Database database;
  SqliteDb reader = open_db(database.path / "history.db");
  database.commit(1);
  exec(reader.get(), "BEGIN");
  exec(reader.get(), "SELECT count(*) FROM messages");  // holds its snapshot: the log stays
  SqliteCheckpointer checkpointer(open_db(database.path / "history.db"), database.writer.get(),
                                  /*pages=*/20, /*writer_pages=*/400);
  database.commit(30);  // under the bound: the thread's alone
  CHECK(checkpointer.await_checkpoints(1, 10s));
  CHECK(checkpointer.writer_checkpoints() == 0);
  database.commit(100);  // past it
  CHECK(checkpointer.writer_checkpoints() > 0);
  exec(reader.get(), "COMMIT");
}
