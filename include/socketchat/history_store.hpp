#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
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
};

// Where history lives. The server calls append() from one thread at a time and
// delivers nothing of a batch until append() has returned: a message any client has
// received is in the store. latest() and prune() may come from other threads.
class HistoryStore {
 public:
  virtual ~HistoryStore() = default;

  // Stores the records, in order, all or none; throws on failure.
  virtual void append(std::span<const HistoryRecord> records) = 0;
  // Up to `limit` of the newest records of `scope`, oldest first.
  virtual std::vector<HistoryRecord> latest(const std::string& scope, std::size_t limit) = 0;
  // Removes records older than `cutoff`; returns how many.
  virtual std::size_t prune(std::chrono::system_clock::time_point cutoff) = 0;
  // True when append() may wait on a disk: the server then calls it from a writer thread
  // of its own and groups concurrent messages into one call (group commit). False for
  // a store in memory, which is called inline.
  virtual bool blocking() const noexcept = 0;
};

// The scope string of a DM conversation between two users (either order).
std::string dm_scope(std::string_view user_a, std::string_view user_b);

}  // namespace socketchat
