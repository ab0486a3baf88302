// AccountStore: the same cases against MemoryAccountStore, SqliteAccountStore and
// RedisAccountStore (names without regard to case, exact round trips, token
// generations); then what only the SQLite file has: persistence, its mode, its schema
// version, two users of one file; and two servers' stores on one Redis.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "socketchat/error.hpp"
#include "socketchat/memory_account_store.hpp"
#include "socketchat/redis_account_store.hpp"
#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

#if SOCKETCHAT_HAS_SQLITE
#include <sqlite3.h>

#include "socketchat/sqlite_account_store.hpp"
#endif

using namespace socketchat;
namespace fs = std::filesystem;

namespace {

struct Memory {
  MemoryAccountStore store;
};

#if SOCKETCHAT_HAS_SQLITE
// A SqliteAccountStore in a fresh directory, removed with everything in it.
struct Sqlite {
  test::TempDir dir{"socketchat-accounts"};
  SqliteAccountStore store{db()};
  std::string db() const { return (dir.path / "accounts.db").string(); }
};
#endif

// A RedisAccountStore on a redis-server of its own (what a cluster's nodes share).
struct Redis {
  test::RedisServer redis;
  RedisAccountStore store{RedisOptions{.url = "redis+unix://" + redis.unix_path()}};
};

#if SOCKETCHAT_HAS_SQLITE
#define ACCOUNT_STORES Memory, Sqlite, Redis
#else
#define ACCOUNT_STORES Memory, Redis
#endif

Account account(std::string name, std::string hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                bool is_operator = false) {
  return {std::move(name), std::move(hash), is_operator, 1'700'000'000'123, 0};
}

std::vector<std::string> names(const std::vector<Account>& accounts) {
  std::vector<std::string> out;
  for (const auto& a : accounts) out.push_back(a.name);
  return out;
}

}  // namespace

TYPE_TO_STRING(Memory);
#if SOCKETCHAT_HAS_SQLITE
TYPE_TO_STRING(Sqlite);
#endif
TYPE_TO_STRING(Redis);

TEST_CASE_TEMPLATE("create then find returns every field as given", Kind, ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  CHECK_FALSE(store.find("ann"));
  Account ann{"Ann", "$argon2id$v=19$m=19456,t=2,p=1$abc$def", true, 1'700'000'000'456, 7};
  CHECK(store.create(ann));
  CHECK(store.find("Ann") == ann);
  // The largest generation a token can carry survives the database's signed integers.
  Account bob{"bob", "hash", false, -5, UINT64_MAX};
  CHECK(store.create(bob));
  CHECK(store.find("bob") == bob);
}

TEST_CASE_TEMPLATE("find ignores case and keeps the spelling of registration", Kind,
                   ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  REQUIRE(store.create(account("MixedCase")));
  for (const char* asked : {"MixedCase", "mixedcase", "MIXEDCASE", "mIxEdCaSe"}) {
    CAPTURE(asked);
    auto found = store.find(asked);
    REQUIRE(found);
    CHECK(found->name == "MixedCase");
  }
  CHECK_FALSE(store.find("MixedCase2"));
  CHECK_FALSE(store.find(""));
}

TEST_CASE_TEMPLATE("create refuses a name registered already, in any case", Kind, ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  REQUIRE(store.create(account("ann", "first")));
  CHECK_FALSE(store.create(account("ann", "second")));
  CHECK_FALSE(store.create(account("ANN", "third")));
  CHECK_FALSE(store.create(account("aNn", "fourth", true)));
  auto found = store.find("ann");
  REQUIRE(found);
  CHECK(found->name == "ann");
  CHECK(found->password_hash == "first");
  CHECK_FALSE(found->is_operator);
  CHECK(store.list().size() == 1);
}

TEST_CASE_TEMPLATE("set_password_hash raises the token generation only when asked", Kind,
                   ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  REQUIRE(store.create(account("ann", "old")));

  CHECK(store.set_password_hash("ann", "new", false));
  CHECK(store.find("ann")->password_hash == "new");
  CHECK(store.find("ann")->token_generation == 0);

  CHECK(store.set_password_hash("ANN", "newer", true));
  CHECK(store.find("ann")->password_hash == "newer");
  CHECK(store.find("ann")->token_generation == 1);

  CHECK(store.set_password_hash("ann", "newest", true));
  CHECK(store.find("ann")->token_generation == 2);
  CHECK(store.find("ann")->name == "ann");
}

TEST_CASE_TEMPLATE("set_operator grants and takes back", Kind, ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  REQUIRE(store.create(account("ann")));
  CHECK(store.set_operator("Ann", true));
  CHECK(store.find("ann")->is_operator);
  CHECK(store.set_operator("ann", true));  // already: still found
  CHECK(store.find("ann")->is_operator);
  CHECK(store.set_operator("ann", false));
  CHECK_FALSE(store.find("ann")->is_operator);
  CHECK(store.find("ann")->token_generation == 0);
}

TEST_CASE_TEMPLATE("revoke_tokens raises the generation and nothing else", Kind, ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  Account ann = account("ann");
  REQUIRE(store.create(ann));
  CHECK(store.revoke_tokens("ann"));
  CHECK(store.revoke_tokens("ANN"));
  ann.token_generation = 2;
  CHECK(store.find("ann") == ann);
}

TEST_CASE_TEMPLATE("remove forgets the account, whose name can then be registered again", Kind,
                   ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  REQUIRE(store.create(account("ann")));
  REQUIRE(store.create(account("bob")));
  CHECK(store.remove("ANN"));
  CHECK_FALSE(store.find("ann"));
  CHECK_FALSE(store.remove("ann"));
  CHECK(names(store.list()) == std::vector<std::string>{"bob"});
  CHECK(store.create(account("Ann", "again")));
  CHECK(store.find("ann")->password_hash == "again");
}

TEST_CASE_TEMPLATE("list is sorted by the lower-case name", Kind, ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  CHECK(store.list().empty());
  for (const char* name : {"carol", "Bob", "alice", "_z", "Dave", "0zero", "b-"}) {
    REQUIRE(store.create(account(name)));
  }
  // Byte order of "0zero", "_z", "alice", "b-", "bob", "carol", "dave".
  CHECK(names(store.list()) ==
        std::vector<std::string>{"0zero", "_z", "alice", "b-", "Bob", "carol", "Dave"});
  auto all = store.list();
  CHECK(all.at(0) == account("0zero"));
}

TEST_CASE_TEMPLATE("names and hashes with SQL metacharacters are stored verbatim", Kind,
                   ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  const std::vector<std::string> odd = {"'; DROP TABLE accounts; --",
                                        "Robert'); DROP TABLE accounts;--",
                                        "\"double\" 'single'",
                                        "100%_like",
                                        "back\\slash",
                                        "?1 :name @x $y",
                                        std::string("nul\0byte", 8)};
  for (const auto& text : odd) {
    CAPTURE(text);
    REQUIRE(store.create(account(text, text + " as hash")));
    auto found = store.find(text);
    REQUIRE(found);
    CHECK(found->name == text);
    CHECK(found->password_hash == text + " as hash");
    CHECK(store.set_password_hash(text, "'" + text + "'", false));
    CHECK(store.find(text)->password_hash == "'" + text + "'");
  }
  CHECK(store.list().size() == odd.size());
  CHECK_FALSE(store.find("%"));  // no LIKE, no wildcards
  CHECK_FALSE(store.find("100__like"));
  for (const auto& text : odd) CHECK(store.remove(text));
  CHECK(store.list().empty());
}

TEST_CASE_TEMPLATE("calls on an unknown name change nothing and say so", Kind, ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  REQUIRE(store.create(account("ann")));
  CHECK_FALSE(store.find("bob"));
  CHECK_FALSE(store.set_password_hash("bob", "x", true));
  CHECK_FALSE(store.set_operator("bob", true));
  CHECK_FALSE(store.revoke_tokens("bob"));
  CHECK_FALSE(store.remove("bob"));
  CHECK_FALSE(store.find("bob"));
  CHECK(store.list() == std::vector<Account>{account("ann")});
}

TEST_CASE_TEMPLATE("calls from several threads at once", Kind, ACCOUNT_STORES) {
  Kind kind;
  AccountStore& store = kind.store;
  REQUIRE(store.create(account("shared")));
  constexpr int threads = 4, each = 25;
  std::atomic<int> created{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < each; ++i) {
        if (store.create(account("user" + std::to_string(t) + "-" + std::to_string(i)))) ++created;
        store.revoke_tokens("shared");
        (void)store.find("shared");
        (void)store.list();
      }
    });
  }
  for (auto& worker : workers) worker.join();
  CHECK(created == threads * each);
  CHECK(store.list().size() == threads * each + 1);
  CHECK(store.find("shared")->token_generation == threads * each);
}

#if SOCKETCHAT_HAS_SQLITE

namespace {

void set_user_version(const std::string& path, int version) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  auto sql = "PRAGMA user_version = " + std::to_string(version);
  CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

int user_version(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  int version = sqlite3_column_int(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return version;
}

fs::perms mode_of(const fs::path& path) {
  return fs::status(path).permissions() & fs::perms::mask;
}

}  // namespace

TEST_CASE("accounts survive reopening the file") {
  test::TempDir dir{"socketchat-accounts"};
  auto path = (dir.path / "accounts.db").string();
  Account ann{"Ann", "$argon2id$hash", true, 42, 3};
  {
    SqliteAccountStore store(path);
    REQUIRE(store.create(ann));
    REQUIRE(store.create(account("bob")));
    REQUIRE(store.remove("bob"));
  }
  SqliteAccountStore store(path);
  CHECK(store.find("ann") == ann);
  CHECK(store.list() == std::vector<Account>{ann});
  CHECK(user_version(path) == 1);
}

TEST_CASE("the database is the owner's alone, whatever the umask") {
  test::TempDir dir{"socketchat-accounts"};
  auto path = dir.path / "accounts.db";
  mode_t old_umask = ::umask(0);  // would leave a file SQLite created world-writable
  {
    SqliteAccountStore store(path.string());
    REQUIRE(store.create(account("ann")));
    CHECK(mode_of(path) == (fs::perms::owner_read | fs::perms::owner_write));
    // SQLite gives its side files the database's mode.
    for (const char* side : {"-wal", "-shm"}) {
      fs::path file = path.string() + side;
      CAPTURE(file);
      if (fs::exists(file))
        CHECK(mode_of(file) == (fs::perms::owner_read | fs::perms::owner_write));
    }
  }
  ::umask(old_umask);
}

TEST_CASE("a database of a newer schema version is refused, naming it") {
  test::TempDir dir{"socketchat-accounts"};
  auto path = (dir.path / "accounts.db").string();
  { SqliteAccountStore store(path); }
  set_user_version(path, 99);
  try {
    SqliteAccountStore store(path);
    FAIL("opened a database of schema version 99");
  } catch (const config_error& e) {
    std::string message = e.what();
    CHECK(message.find("account database \"" + path + "\"") != std::string::npos);
    CHECK(message.find("schema version 99 is newer") != std::string::npos);
  }
  CHECK(user_version(path) == 99);  // left as it was
}

TEST_CASE("open refuses what is not a database, and a missing directory") {
  test::TempDir dir{"socketchat-accounts"};
  auto missing = (dir.path / "nowhere" / "accounts.db").string();
  CHECK_THROWS_WITH_AS(
      SqliteAccountStore{missing},
      doctest::Contains(doctest::String(
          ("directory \"" + (dir.path / "nowhere").string() + "\" does not exist").c_str())),
      config_error);
  auto garbage = dir.path / "garbage.db";
  {
    std::FILE* file = std::fopen(garbage.c_str(), "w");
    REQUIRE(file);
    std::fputs("this is not an SQLite database, not at all, no header here\n", file);
    std::fclose(file);
  }
  CHECK_THROWS_WITH_AS(SqliteAccountStore{garbage.string()},
                       doctest::Contains("not a valid SQLite database"), config_error);
}

TEST_CASE("two stores on one file see each other's writes") {
  test::TempDir dir{"socketchat-accounts"};
  auto path = (dir.path / "accounts.db").string();
  SqliteAccountStore server(path);
  SqliteAccountStore admin(path);

  REQUIRE(admin.create(account("ann")));
  CHECK(server.find("ann") == account("ann"));
  CHECK_FALSE(server.create(account("ANN")));

  CHECK(admin.set_operator("ann", true));
  CHECK(server.find("ann")->is_operator);
  CHECK(server.set_password_hash("ann", "rehashed", false));
  CHECK(admin.find("ann")->password_hash == "rehashed");
  CHECK(admin.revoke_tokens("ann"));
  CHECK(server.find("ann")->token_generation == 1);
  CHECK(admin.remove("ann"));
  CHECK_FALSE(server.find("ann"));
  CHECK(server.list().empty());
}

#endif  // SOCKETCHAT_HAS_SQLITE

TEST_CASE("two stores on one Redis see each other's accounts and changes") {
  test::RedisServer redis;
  const RedisOptions shared{.url = "redis+unix://" + redis.unix_path()};
  RedisAccountStore one(shared), two(shared);
  REQUIRE(one.create(account("Alice")));
  CHECK_FALSE(two.create(account("ALICE")));
  REQUIRE(two.find("alice").has_value());
  CHECK(two.find("alice")->name == "Alice");
  CHECK(two.revoke_tokens("alice"));
  CHECK(one.find("Alice")->token_generation == 1);
  CHECK(names(one.list()) == std::vector<std::string>{"Alice"});
  CHECK(one.remove("alice"));
  CHECK_FALSE(two.find("alice").has_value());
}

TEST_CASE("a Redis that is gone: calls throw, then work again once it is back") {
  test::RedisServer redis;
  RedisAccountStore store(RedisOptions{.url = "redis+unix://" + redis.unix_path()});
  REQUIRE(store.create(account("kept")));
  redis.kill();
  CHECK_THROWS_AS(store.find("kept"), std::runtime_error);
  CHECK_THROWS_AS(store.create(account("other")), std::runtime_error);
  redis.restart();  // from its append-only file
  CHECK(store.find("kept").has_value());
  CHECK_THROWS_AS(RedisAccountStore(RedisOptions{.url = "redis+unix:///nonexistent.sock"}),
                  config_error);
}
