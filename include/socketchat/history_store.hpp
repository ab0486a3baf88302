#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace socketchat {

// One stored message. `scope` says whose history it belongs to:
//   "*"            the public MSG feed
//   "#<room>"      a room, by its ASCII lower-case name
//   "@<a>|<b>"     the DMs between two users, lower-case names in ASCII order
struct HistoryRecord {
  std::string scope{};
  std::int64_t unix_ms = 0;  // when the server accepted it
  std::string from{};        // the sender, as spelled at LOGIN
  std::string text{};
  // Its place in the store's history (HistoryStore::append gives it): from 1 up, in the
  // order records are stored, never given twice in one epoch(), shared by all scopes.
  std::uint64_t id = 0;
};

// Which records of a scope read() returns: of those with ids between `after` and
// `before` and stamps between `after_ms` and `before_ms` (all excluded), the `limit`
// oldest, or the `limit` newest when `newest`.
struct HistoryRange {
  std::uint64_t after = 0;   // 0: from the first
  std::uint64_t before = 0;  // 0: up to the last
  std::size_t limit = 0;
  bool newest = true;
  std::int64_t after_ms = 0;   // 0: any (unix ms)
  std::int64_t before_ms = 0;  // 0: any
};

struct HistoryPage {
  std::vector<HistoryRecord> records{};  // oldest first
  // Records of the scope with ids above range.after may have been removed (retention, a
  // bound): the page cannot say it holds every one.
  bool gap = false;
  // The highest id the store has given, in any scope (0: none yet).
  std::uint64_t last_id = 0;
  // Set by the server, not by read(): the store's epoch(), and whether the asker's id was
  // of another epoch (so the records are not the range asked for).
  std::string epoch{};
  bool reset = false;
};

// Where history lives. The server calls append() from one thread at a time and
// delivers nothing of a batch until append() (or journal()) has returned: a message any
// client has received is in the store. latest(), read(), epoch() and prune() may come
// from other threads.
class HistoryStore {
 public:
  virtual ~HistoryStore() = default;

  // Stores the records, in order, all or none, and gives each its id; throws on failure.
  // Records whose id is set were journal()ed: they keep it.
  virtual void append(std::span<HistoryRecord> records) = 0;
  // Optional, for a blocking() store: makes the records durable now and cheaply (an
  // append-only journal, no index), all or none, and gives each its id, so that they
  // can be delivered before append() stores them for reading. The server calls it at
  // the end of an I/O thread's round, then append() with the same records, in the same
  // order, on the writer's thread; read() sees them once append() has. Returns false,
  // having done nothing, when it cannot now (no journal, or too many records wait for
  // append()): the records then go to append() without ids, and are delivered once it
  // has returned. Throws on failure.
  virtual bool journal(std::span<HistoryRecord> records) {
    (void)records;
    return false;
  }
  // The records of `scope` in `range`, and whether some after range.after are gone.
  virtual HistoryPage read(const std::string& scope, const HistoryRange& range) = 0;
  // Up to `limit` of the newest records of `scope`, oldest first.
  std::vector<HistoryRecord> latest(const std::string& scope, std::size_t limit) {
    return read(scope, {.limit = limit}).records;
  }
  // Names this history: 1 to 16 characters of 0-9 a-z, the same as long as its records
  // and ids last, new when it starts empty (a new database, a new store in memory), so
  // that an id of another epoch is known to be of a history that is gone. Empty only
  // while the store has given no id and cannot yet say (a Redis nobody wrote to).
  virtual std::string epoch() = 0;
  // The scopes of the DMs of `user` (a name, in any case) that hold records, in no order:
  // what CHATHISTORY TARGETS lists a user's conversations from. A store that cannot
  // list them lists none (the default), and its users' DMs are then left out of it.
  virtual std::vector<std::string> direct_scopes(std::string_view user) {
    (void)user;
    return {};
  }
  // Removes records older than `cutoff`; returns how many.
  virtual std::size_t prune(std::chrono::system_clock::time_point cutoff) = 0;
  // True when append() may wait on a disk: the server then calls it from a writer thread
  // of its own and groups concurrent messages into one call (group commit). False for
  // a store in memory, which is called inline.
  virtual bool blocking() const noexcept = 0;
};

// The scope string of a DM conversation between two users (either order).
std::string dm_scope(std::string_view user_a, std::string_view user_b);
// Whether `scope` is that of the DMs of `user_key` (a name in ASCII lower case) with
// anyone (itself included).
bool is_dm_scope_of(std::string_view scope, std::string_view user_key) noexcept;

}  // namespace socketchat
