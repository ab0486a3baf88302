#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "socketchat/history_store.hpp"
#include "socketchat/redis_options.hpp"

namespace socketchat {

class RedisHistoryStore;
namespace detail {
// A cluster's node (docs/CLUSTER.md): each record appended is also published, in the
// same script, for the other nodes to deliver, as sent by `node`, and kept in the
// feed's backlog of the last `backlog` messages for nodes that were away.
void publish_history_as(RedisHistoryStore& store, std::string node, std::size_t backlog);
}  // namespace detail

// History in Redis, one stream per scope (`sc:history:<scope>`; docs/CLUSTER.md): what
// several servers that share one Redis read and write alike. append() returns once
// Redis has the records, which with Redis's `appendfsync always` means on its disk. They
// go in one script, which gives their ids from one counter (`sc:history:last`) that every
// server shares (in a cluster it also publishes them): a connection lost before it
// stores none of them (Redis does not undo the others if one fails as it
// runs, which only a key of another type under the history's names, written by someone
// else, could make happen).
//
// The constructor connects, and throws config_error when the URL is malformed or Redis
// cannot be reached or refuses the password. Later failures throw std::runtime_error
// from the call, and the next call connects again.
//
// Threads: one connection, under a mutex; every call may come from any thread.
class RedisHistoryStore final : public HistoryStore {
 public:
  explicit RedisHistoryStore(RedisOptions options);
  ~RedisHistoryStore() override;
  RedisHistoryStore(const RedisHistoryStore&) = delete;
  RedisHistoryStore& operator=(const RedisHistoryStore&) = delete;

  void append(std::span<HistoryRecord> records) override;
  HistoryPage read(const std::string& scope, const HistoryRange& range) override;
  // Kept in Redis (`sc:history:epoch`), made by the first append to an empty one: empty
  // until then (no id given yet).
  std::string epoch() override;
  // Trims every scope's stream to the entries Redis stamped at or after `cutoff` (its
  // own clock, which the servers' should not be far from).
  std::vector<std::string> direct_scopes(std::string_view user) override;
  std::size_t prune(std::chrono::system_clock::time_point cutoff) override;
  bool blocking() const noexcept override { return true; }

 private:
  friend void detail::publish_history_as(RedisHistoryStore& store, std::string node,
                                         std::size_t backlog);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace socketchat
