// hiredis's asynchronous API on Asio (redis_connection.hpp).
#include "cluster/redis_connection.hpp"

#include <list>
#include <utility>
#include <vector>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <asio/posix/stream_descriptor.hpp>
#include "cluster/redis_argv.hpp"
#include "cluster/sigpipe_held.hpp"

namespace socketchat::detail {
namespace {

// A handler given to hiredis as a command's private data: called once, then freed.
// Nothing may leave a callback that C code called, so a throwing handler stops here.
void on_reply(redisAsyncContext*, void* reply, void* privdata) {
  std::unique_ptr<RedisConnection::ReplyHandler> handler(
      static_cast<RedisConnection::ReplyHandler*>(privdata));
  try {
    (*handler)(RedisReply::from(static_cast<const redisReply*>(reply)));
  } catch (...) {
  }
}

bool is_word(const redisReply* reply, std::string_view word) {
  return reply->type == REDIS_REPLY_STRING && std::string_view(reply->str, reply->len) == word;
}

}  // namespace

// What hiredis's event hooks drive: the socket's readiness, watched by Asio, and what
// must live exactly as long as hiredis's context (its subscriptions, called by hiredis
// until the context's last moment). hiredis calls cleanup() just before it closes the
// socket and frees the context, possibly later than close() (from inside a callback).
struct RedisConnection::Watcher : std::enable_shared_from_this<Watcher> {
  struct Subscription {
    MessageHandler message;
    Done subscribed;
  };

  Watcher(Executor executor, redisAsyncContext* watched)
      : descriptor(std::move(executor), watched->c.fd), context(watched) {}

  void attach() {
    context->ev.data = this;
    context->ev.addRead = [](void* self) { static_cast<Watcher*>(self)->want(true, true); };
    context->ev.delRead = [](void* self) { static_cast<Watcher*>(self)->want(true, false); };
    context->ev.addWrite = [](void* self) { static_cast<Watcher*>(self)->want(false, true); };
    context->ev.delWrite = [](void* self) { static_cast<Watcher*>(self)->want(false, false); };
    context->ev.cleanup = [](void* self) { static_cast<Watcher*>(self)->cleanup(); };
    keep_alive = shared_from_this();  // until hiredis lets go of it
  }

  void want(bool read, bool on) {
    (read ? want_read : want_write) = on;
    if (on) arm(read);
  }

  void arm(bool read) {
    bool& armed = read ? read_armed : write_armed;
    if (armed || context == nullptr) return;
    armed = true;
    descriptor.async_wait(
        read ? asio::posix::descriptor_base::wait_read : asio::posix::descriptor_base::wait_write,
        [self = shared_from_this(), read](std::error_code ec) {
          (read ? self->read_armed : self->write_armed) = false;
          if (ec || self->context == nullptr) return;
          if (!(read ? self->want_read : self->want_write)) return;
          if (read) {
            redisAsyncHandleRead(self->context);
          } else {
            SigpipeHeld held;
            redisAsyncHandleWrite(self->context);
          }
          // The context may be gone now (cleanup() ran).
          if (self->context != nullptr && (read ? self->want_read : self->want_write)) {
            self->arm(read);
          }
        });
  }

  void cleanup() {
    context = nullptr;
    std::error_code ignored;
    descriptor.cancel(ignored);
    descriptor.release();  // hiredis closes the socket itself, right after this
    subscriptions.clear();
    keep_alive.reset();  // the last owner may be a pending wait's handler
  }

  asio::posix::basic_stream_descriptor<Executor> descriptor;
  redisAsyncContext* context;
  bool want_read = false, want_write = false, read_armed = false, write_armed = false;
  std::list<Subscription> subscriptions;
  std::shared_ptr<Watcher> keep_alive;
};

RedisConnection::RedisConnection(Executor executor, RedisAddress address,
                                 std::chrono::milliseconds connect_timeout)
    : executor_(executor),
      address_(std::move(address)),
      connect_timeout_(connect_timeout),
      connect_timer_(executor) {}

RedisConnection::~RedisConnection() {
  alive_.reset();
  close();
}

void RedisConnection::connect(Done done, std::function<void()> lost) {
  close();
  connecting_ = std::move(done);
  lost_ = std::move(lost);
  context_ = address_.unix_path.empty() ? redisAsyncConnect(address_.host.c_str(), address_.port)
                                        : redisAsyncConnectUnix(address_.unix_path.c_str());
  if (context_ == nullptr) return fail_connecting("out of memory");
  if (context_->err != 0) {
    std::string why = context_->errstr;
    redisAsyncFree(context_);
    context_ = nullptr;
    return fail_connecting(why);
  }
  context_->data = this;
  watcher_ = std::make_shared<Watcher>(executor_, context_);
  watcher_->attach();
  redisAsyncSetConnectCallback(context_, connect_callback);
  redisAsyncSetDisconnectCallback(context_, disconnect_callback);

  // Queued now, written once connected; the PING's answer says all went well. A reply
  // may come after this object is gone (freed from inside a callback): `alive` tells.
  std::weak_ptr<char> alive = alive_;
  auto step = [this, alive](RedisReply reply) {
    if (!alive.expired() && reply.failed() && connecting_) {
      fail_connecting(reply.kind == RedisReply::Kind::lost ? "the connection ended" : reply.text);
    }
  };
  if (!address_.password.empty()) command({"AUTH", address_.password}, step);
  const std::string database = std::to_string(address_.database);
  if (address_.database != 0) command({"SELECT", database}, step);
  command({"PING"}, [this, alive](RedisReply reply) {
    if (alive.expired() || !connecting_) return;
    if (reply.failed()) {
      return fail_connecting(reply.kind == RedisReply::Kind::lost ? "the connection ended"
                                                                  : reply.text);
    }
    connect_timer_.cancel();
    connected_ = true;
    std::exchange(connecting_, nullptr)({});
  });
  connect_timer_.expires_after(connect_timeout_);
  connect_timer_.async_wait([this](std::error_code ec) {
    if (!ec && connecting_) fail_connecting("timed out");
  });
}

bool RedisConnection::command(std::span<const std::string_view> words, ReplyHandler reply) {
  if (context_ == nullptr) return false;
  RedisArgv command(words);
  auto handler = std::make_unique<ReplyHandler>(std::move(reply));
  if (redisAsyncCommandArgv(context_, on_reply, handler.get(), command.count(), command.argv.data(),
                            command.lengths.data()) != REDIS_OK) {
    return false;
  }
  handler.release();  // hiredis's now: on_reply frees it
  return true;
}

bool RedisConnection::subscribe(std::string_view channel, MessageHandler message, Done subscribed) {
  if (context_ == nullptr || !connected_) return false;
  auto& subscription = watcher_->subscriptions.emplace_back(
      Watcher::Subscription{std::move(message), std::move(subscribed)});
  const char* argv[] = {"SUBSCRIBE", channel.data()};
  const std::size_t lengths[] = {9, channel.size()};
  auto callback = [](redisAsyncContext*, void* r, void* privdata) {
    auto* reply = static_cast<const redisReply*>(r);
    auto* sub = static_cast<Watcher::Subscription*>(privdata);
    if (reply == nullptr) return;  // the connection ends: `lost` says so
    try {
      if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) {
        if (is_word(reply->element[0], "message")) {
          sub->message({reply->element[1]->str, reply->element[1]->len},
                       {reply->element[2]->str, reply->element[2]->len});
        } else if (is_word(reply->element[0], "subscribe") && sub->subscribed) {
          std::exchange(sub->subscribed, nullptr)({});
        }
      } else if (reply->type == REDIS_REPLY_ERROR && sub->subscribed) {
        std::exchange(sub->subscribed, nullptr)(std::string(reply->str, reply->len));
      }
    } catch (...) {
    }
  };
  return redisAsyncCommandArgv(context_, callback, &subscription, 2, argv, lengths) == REDIS_OK;
}

void RedisConnection::close() {
  connect_timer_.cancel();
  connected_ = false;
  connecting_ = nullptr;
  lost_ = nullptr;
  if (context_ == nullptr) return;
  redisAsyncContext* context = std::exchange(context_, nullptr);
  context->data = nullptr;  // the disconnect callback, maybe later, finds nobody
  redisAsyncFree(context);  // waiting handlers get lost, now or after the current callback
  watcher_.reset();
}

void RedisConnection::fail_connecting(std::string why) {
  Done done = std::exchange(connecting_, nullptr);
  close();
  if (done) done(why.empty() ? "could not connect" : std::move(why));
}

void RedisConnection::connect_callback(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (self != nullptr) self->on_connected(status == REDIS_OK ? 0 : context->err);
}

void RedisConnection::on_connected(int status) {
  if (status == 0) return;  // the PING's reply finishes connecting
  // hiredis frees the context after this callback: it is not ours to free.
  context_->data = nullptr;
  std::string why = context_->errstr;
  context_ = nullptr;
  watcher_.reset();
  Done done = std::exchange(connecting_, nullptr);
  connect_timer_.cancel();
  if (done) done(why);
}

void RedisConnection::disconnect_callback(const redisAsyncContext* context, int) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (self != nullptr) self->on_disconnected();
}

void RedisConnection::on_disconnected() {
  // hiredis frees the context after this callback.
  context_->data = nullptr;
  context_ = nullptr;
  watcher_.reset();
  connected_ = false;
  if (connecting_) {
    Done done = std::exchange(connecting_, nullptr);
    connect_timer_.cancel();
    done("the connection ended");
    return;
  }
  if (auto lost = std::exchange(lost_, nullptr)) lost();
}

}  // namespace socketchat::detail
