#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "cluster/redis_address.hpp"
#include "cluster/redis_reply.hpp"

struct redisAsyncContext;

namespace socketchat::detail {

// One connection to Redis, driven by Asio: hiredis's asynchronous API with this
// process's event loop behind it (docs/CLUSTER.md, Inside the node). Commands are
// pipelined: each is queued at once and written with whatever else is queued when the
// socket can take it; replies come back in order. Nothing blocks the thread.
//
// Every call is made on `executor`, and every handler runs there. A handler is called
// exactly once (a subscription's for each message), also when the connection ends
// first (with RedisReply::Kind::lost), and may then run inside close().
class RedisConnection {
 public:
  using Executor = asio::strand<asio::io_context::executor_type>;
  using ReplyHandler = std::function<void(RedisReply reply)>;
  using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
  using Done = std::function<void(std::string error)>;  // empty: done

  RedisConnection(Executor executor, RedisAddress address,
                  std::chrono::milliseconds connect_timeout);
  ~RedisConnection();  // close()
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects, authenticates (the address's password) and selects the database: `done`
  // once, with the reason if it could not (never a password). Later, `lost` once if
  // the connection ends other than by close(). A host name is resolved here, blocking.
  void connect(Done done, std::function<void()> lost);
  bool connected() const noexcept { return connected_; }
  const Executor& executor() const noexcept { return executor_; }

  // Queues a command, its words as given (binary-safe). False, and no call of `reply`,
  // when not connected.
  bool command(std::span<const std::string_view> words, ReplyHandler reply);
  bool command(std::initializer_list<std::string_view> words, ReplyHandler reply) {
    return command(std::span<const std::string_view>(words.begin(), words.size()),
                   std::move(reply));
  }

  // SUBSCRIBE `channel`: `subscribed` once Redis confirms (or with why not), then
  // `message` for each message published there until the connection ends. A connection
  // that subscribes should do nothing else (Redis allows it little else).
  bool subscribe(std::string_view channel, MessageHandler message, Done subscribed);

  // Ends the connection now: handlers still waiting get `lost`; `lost` itself is not
  // called. Idempotent.
  void close();

 private:
  struct Watcher;
  void on_connected(int status);
  void on_disconnected();
  void fail_connecting(std::string why);
  static void connect_callback(const redisAsyncContext* context, int status);
  static void disconnect_callback(const redisAsyncContext* context, int status);

  Executor executor_;
  RedisAddress address_;
  std::chrono::milliseconds connect_timeout_;
  asio::basic_waitable_timer<std::chrono::steady_clock,
                             asio::wait_traits<std::chrono::steady_clock>, Executor>
      connect_timer_;
  redisAsyncContext* context_ = nullptr;
  std::shared_ptr<Watcher> watcher_;
  Done connecting_;
  std::function<void()> lost_;
  bool connected_ = false;
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // gone with this object
};

}  // namespace socketchat::detail
