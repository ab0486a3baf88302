#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <asio/ip/tcp.hpp>

#include "detail/asio_types.hpp"
#include "detail/reply_error.hpp"

namespace socketchat::detail {

class Core;

// The plain-TCP transport: accepts connections on one endpoint, applies the
// connection limits, and hands each connection to a new Session on the next of the
// server's io_contexts in turn (Core::next_worker).
class TcpListener : public std::enable_shared_from_this<TcpListener> {
 public:
  // Binds and listens; throws config_error when that fails.
  TcpListener(Core& core, asio::io_context& context, const asio::ip::tcp::endpoint& endpoint);

  void start();
  void stop();  // posts the close to the listener's own context
  std::uint16_t port() const noexcept { return port_; }

 private:
  void accept();
  void on_accept(std::error_code ec, TcpSocket socket);
  void reject(TcpSocket socket, const std::string& address, ReplyError why);

  Core& core_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::uint16_t port_ = 0;
};

// "tcp://host:port" → endpoint; throws config_error for anything else.
asio::ip::tcp::endpoint parse_tcp_url(const std::string& url);

}  // namespace socketchat::detail
