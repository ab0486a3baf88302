// hiredis's blocking API, reconnecting and bounded in time (redis_blocking.hpp).
#include "cluster/redis_blocking.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>

#include "cluster/redis_argv.hpp"
#include "cluster/sigpipe_held.hpp"
#include "socketchat/error.hpp"

namespace socketchat::detail {
namespace {

timeval timeval_of(std::chrono::milliseconds timeout) {
  return {.tv_sec = static_cast<time_t>(timeout.count() / 1000),
          .tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
}

}  // namespace

RedisBlocking::RedisBlocking(RedisAddress address, std::chrono::milliseconds timeout)
    : address_(std::move(address)), timeout_(timeout) {}

RedisBlocking::RedisBlocking(const RedisOptions& options, std::string_view what)
    : timeout_(options.timeout) {
  std::string why;
  auto address = parse_redis_url(options.url, why);
  if (!address) throw config_error(std::string(what) + ": " + why);
  address_ = std::move(*address);
  address_.password = options.password;
  try {
    connect();
  } catch (const std::runtime_error& e) {
    throw config_error(std::string(what) + ": " + e.what());
  }
}

RedisBlocking::~RedisBlocking() {
  disconnect();
}

void RedisBlocking::disconnect() {
  if (context_ != nullptr) redisFree(std::exchange(context_, nullptr));
  unanswered_ = 0;
}

namespace {

// Whether Redis has closed an idle connection (it restarted, say): nothing is ever due
// on one, so anything to read means its end. Checked before a command is sent, so that
// a command is never sent where it cannot arrive, and never sent twice.
bool closed_by_peer(int fd) {
  pollfd watched{.fd = fd, .events = POLLIN, .revents = 0};
  if (::poll(&watched, 1, 0) <= 0) return false;
  if ((watched.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return true;
  char byte;
  return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

}  // namespace

void RedisBlocking::connect() {
  // Only between commands: one queued after another must go where the first went.
  if (context_ != nullptr && unanswered_ == 0 && closed_by_peer(context_->fd)) disconnect();
  if (context_ != nullptr) return;
  const timeval limit = timeval_of(timeout_);
  context_ = address_.unix_path.empty()
                 ? redisConnectWithTimeout(address_.host.c_str(), address_.port, limit)
                 : redisConnectUnixWithTimeout(address_.unix_path.c_str(), limit);
  if (context_ == nullptr) throw std::runtime_error("Redis: out of memory");
  if (context_->err != 0) {
    std::string why = context_->errstr;
    disconnect();
    throw std::runtime_error("Redis at " + to_string(address_) + ": " + why);
  }
  redisSetTimeout(context_, limit);
  if (!address_.password.empty()) expect_ok(run({"AUTH", address_.password}), "AUTH");
  if (address_.database != 0) {
    expect_ok(run({"SELECT", std::to_string(address_.database)}), "SELECT");
  }
  expect_ok(run({"PING"}), "PING");  // a Redis that wants a password says so here
}

void RedisBlocking::expect_ok(const RedisReply& reply, std::string_view what) {
  if (reply.failed()) {
    disconnect();
    throw std::runtime_error("Redis " + std::string(what) + ": " + reply.text);
  }
}

void RedisBlocking::queue(std::initializer_list<std::string_view> words) {
  queue(std::span<const std::string_view>(words.begin(), words.size()));
}

void RedisBlocking::queue(std::span<const std::string_view> words) {
  connect();
  RedisArgv command(words);
  if (redisAppendCommandArgv(context_, command.count(), command.argv.data(),
                             command.lengths.data()) != REDIS_OK) {
    fail();
  }
  ++unanswered_;
}

RedisReply RedisBlocking::next_reply() {
  if (context_ == nullptr) throw std::runtime_error("Redis: not connected");
  SigpipeHeld held;  // the queued commands are written here
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) fail();
  if (unanswered_ > 0) --unanswered_;
  RedisReply reply = RedisReply::from(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return reply;
}

RedisReply RedisBlocking::run(std::initializer_list<std::string_view> words) {
  queue(words);
  return next_reply();
}

void RedisBlocking::fail() {
  std::string why = context_ != nullptr && context_->err != 0 ? context_->errstr : "no reply";
  disconnect();
  throw std::runtime_error("Redis at " + to_string(address_) + ": " + why);
}

}  // namespace socketchat::detail
