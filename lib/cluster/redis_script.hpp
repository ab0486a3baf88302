#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/redis_blocking.hpp"
#include "cluster/redis_connection.hpp"

namespace socketchat::detail {

// A Lua script Redis runs atomically (docs/CLUSTER.md: every change that must be atomic
// is one script). Sent by its SHA-1 (EVALSHA), and in full only when Redis does not
// know it yet (after a restart, say): the text crosses the wire once per Redis.
class RedisScript {
 public:
  explicit RedisScript(std::string text);

  // Runs it with `keys` and `arguments`; `reply` once, as RedisConnection::command.
  // False when the connection is not up.
  bool run(RedisConnection& connection, std::initializer_list<std::string_view> keys,
           std::initializer_list<std::string_view> arguments,
           RedisConnection::ReplyHandler reply) const {
    return run(connection, std::span<const std::string_view>(keys.begin(), keys.size()),
               std::span<const std::string_view>(arguments.begin(), arguments.size()),
               std::move(reply));
  }
  bool run(RedisConnection& connection, std::span<const std::string_view> keys,
           std::span<const std::string_view> arguments, RedisConnection::ReplyHandler reply) const;
  // The same on a blocking connection (its user holds its mutex): the reply, or what
  // RedisBlocking throws.
  RedisReply run(RedisBlocking& connection, std::span<const std::string_view> keys,
                 std::span<const std::string_view> arguments) const;

  const std::string& text() const noexcept { return text_; }
  const std::string& sha1() const noexcept { return sha1_; }

 private:
  std::string text_;
  std::string sha1_;  // lower-case hex, as Redis names scripts
};

}  // namespace socketchat::detail
