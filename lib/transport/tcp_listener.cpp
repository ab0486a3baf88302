#include "transport/tcp_listener.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <type_traits>

#include <fmt/format.h>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "server/connection_table.hpp"
#include "server/workers.hpp"
#include "session/session.hpp"
#include "session/session_context.hpp"
#include "sinks/event_bus.hpp"
#include "socketchat/error.hpp"
#include "transport/strand_pool.hpp"
#include "transport/tcp_link.hpp"
#include "transport/tls_link.hpp"
#include "transport/websocket/websocket_link.hpp"

namespace socketchat::detail {

namespace {

std::string to_string(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  return address.is_v6() ? fmt::format("[{}]:{}", address.to_string(), endpoint.port())
                         : fmt::format("{}:{}", address.to_string(), endpoint.port());
}

std::size_t refusal_index(ReplyError why) noexcept {
  return why == ReplyError::server_full ? 0 : 1;
}

}  // namespace

// A connection refused at the connection limits: it is sent its refusal (if its
// transport has one in cleartext), then our FIN; what it sends meanwhile (its request,
// a TLS ClientHello) is read and dropped until it closes, for `linger` at most. Closing
// with its bytes unread would reset the connection, and a reset may destroy the
// refusal before the client reads it (and shows a TLS client an error, not a close).
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  static constexpr std::chrono::milliseconds linger{1000};
  static constexpr std::size_t max_drained = 64 * 1024;  // then it is closed at once

  Refusal(TcpSocket socket, const std::string& words)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), words_(words) {}

  // `wait`: linger for the client's close; else close once the refusal is written.
  void start(bool wait) {
    timer_.expires_after(linger);
    timer_.async_wait([self = shared_from_this()](std::error_code ec) {
      if (!ec) self->close();
    });
    asio::async_write(socket_, asio::buffer(words_),
                      [self = shared_from_this(), wait](std::error_code ec, std::size_t) {
                        if (ec || !wait) return self->close();
                        std::error_code ignored;
                        self->socket_.shutdown(asio::socket_base::shutdown_send, ignored);
                        self->drain();
                      });
  }

  // From any thread: closes at once (the listener is stopping).
  void stop() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  void drain() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](std::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > max_drained) return self->close();
                              self->drain();
                            });
  }

  void close() {
    timer_.cancel();
    std::error_code ignored;
    socket_.close(ignored);
  }

  TcpSocket socket_;
  asio::steady_timer timer_;
  std::string words_;
  std::array<char, 1024> buffer_;
  std::size_t drained_ = 0;
};

TcpListener::TcpListener(const SessionContext& sessions, const Protocols& protocols,
                         asio::io_context& context, const BuiltinTransport& transport,
                         const ListenUrl& url, const Protocol& protocol,
                         std::shared_ptr<asio::ssl::context> tls)
    : sessions_(sessions),
      protocols_(protocols),
      transport_(transport),
      protocol_(protocol),
      acceptor_(context),
      retry_timer_(context),
      tls_(std::move(tls)) {
  auto [endpoint, path] = parse_tcp_address(url, transport.takes_path);
  path_ = std::move(path);
  std::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw config_error(fmt::format("cannot listen on {}: {}", to_string(endpoint), ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  for (ReplyError why : {ReplyError::server_full, ReplyError::too_many_connections}) {
    auto words = protocol_.encode({.notice = Notice::error, .error = why});
    refusals_[refusal_index(why)] = transport_.refusal(words.view(), code_of(why));
  }
}

void TcpListener::start() {
  accept();
}

void TcpListener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    std::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
    // After the acceptor (same executor as on_accept): no refusal can come after these.
    std::lock_guard lock(self->refusals_mutex_);
    for (const auto& lingering : self->lingering_) {
      if (auto refusal = lingering.lock()) refusal->stop();
    }
    self->lingering_.clear();
  });
}

void TcpListener::accept() {
  acceptor_.async_accept(StrandPool::next_on(sessions_.workers.next()),
                         [self = shared_from_this()](std::error_code ec, TcpSocket socket) {
                           self->on_accept(ec, std::move(socket));
                         });
}

void TcpListener::on_accept(std::error_code ec, TcpSocket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors or memory: say so, and try again shortly rather than spin.
    Event event{.kind = EventKind::error, .time = {}, .detail = "accept-failed", .reason = ec};
    sessions_.bus.publish(event);
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([self = shared_from_this()](std::error_code wait_ec) {
      if (!wait_ec) self->accept();
    });
    return;
  }
  std::error_code endpoint_ec;
  auto endpoint = socket.remote_endpoint(endpoint_ec);
  if (endpoint_ec) return accept();  // already gone
  std::string address = endpoint.address().to_string();
  if (auto refusal = sessions_.connections.admit(address)) {
    reject(std::move(socket), address, *refusal);
  } else {
    open_session(std::move(socket), endpoint, address);
  }
  accept();
}

void TcpListener::set_tls(std::shared_ptr<asio::ssl::context> tls) {
  std::lock_guard lock(tls_mutex_);
  tls_ = std::move(tls);
}

void TcpListener::open_session(TcpSocket socket, const asio::ip::tcp::endpoint& endpoint,
                               const std::string& address) {
  LinkSetup setup{.sessions = sessions_, .protocols = protocols_, .tls = nullptr, .path = path_};
  if (transport_.tls) {
    std::lock_guard lock(tls_mutex_);
    setup.tls = tls_;
  }
  transport_.open(setup, protocol_, std::move(socket), to_string(endpoint), address);
}

void TcpListener::reject(TcpSocket socket, const std::string& address, ReplyError why) {
  sessions_.connections.publish_refusal(address, why);
  auto refusal = std::make_shared<Refusal>(std::move(socket), refusals_[refusal_index(why)]);
  bool linger;
  {
    // Each lingers a second at most; past max_lingering at once (a flood of connections
    // while full), the newest are closed after their refusal is written, without waiting.
    std::lock_guard lock(refusals_mutex_);
    std::erase_if(lingering_, [](const auto& lingering) { return lingering.expired(); });
    linger = lingering_.size() < max_lingering;
    if (linger) lingering_.push_back(refusal);
  }
  refusal->start(linger);
}

}  // namespace socketchat::detail
