#pragma once

#include <chrono>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string_view>

#include "cluster/redis_address.hpp"
#include "cluster/redis_reply.hpp"
#include "socketchat/redis_options.hpp"

struct redisContext;

namespace socketchat::detail {

// A blocking connection to Redis (hiredis's synchronous API), for the stores the server
// calls off its I/O threads (history on its writer thread, accounts on theirs). Every
// wait is bounded by `timeout`. A failure throws std::runtime_error (never showing the
// password) and drops the connection; the next call connects again. Not thread-safe:
// its users hold `mutex` around each exchange.
class RedisBlocking {
 public:
  RedisBlocking(RedisAddress address, std::chrono::milliseconds timeout);
  // A store's connection (`what` says whose): the URL parsed and connected at once;
  // config_error if the URL is malformed or Redis cannot be had.
  RedisBlocking(const RedisOptions& options, std::string_view what);
  ~RedisBlocking();
  RedisBlocking(const RedisBlocking&) = delete;
  RedisBlocking& operator=(const RedisBlocking&) = delete;

  // Connects now if not connected (AUTH, SELECT and a PING answered).
  void connect();
  // Queues a command, written with the next next_reply(): several queued, one round trip.
  void queue(std::initializer_list<std::string_view> words);
  void queue(std::span<const std::string_view> words);
  RedisReply next_reply();
  // queue() and next_reply(): one command, its reply.
  RedisReply run(std::initializer_list<std::string_view> words);

  std::mutex mutex;

 private:
  void expect_ok(const RedisReply& reply, std::string_view what);
  [[noreturn]] void fail();
  void disconnect();

  RedisAddress address_;
  std::chrono::milliseconds timeout_;
  redisContext* context_ = nullptr;
  std::size_t unanswered_ = 0;  // commands queued whose replies have not been read
};

}  // namespace socketchat::detail
