#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "socketchat/protocol.hpp"
#include "socketchat/reply_error.hpp"
#include "transport/asio_types.hpp"

namespace asio::ssl {
class context;
}

namespace socketchat::detail {

class Core;
class Refusal;

// Where and how to listen: "tcp://host:port", "tls://host:port",
// "ws://host:port[/path]" or "wss://host:port[/path]" (the WebSocket path defaults
// to /ws; the rest of that port serves HTTP: the browser client, /healthz, /metrics)
// speak the line protocol; "irc://host:port" and "ircs://host:port" (over TLS) speak
// IRC.
struct ListenUrl {
  enum class Scheme { tcp, tls, ws, wss, irc, ircs } scheme = Scheme::tcp;
  asio::ip::tcp::endpoint endpoint;
  std::string path;  // ws and wss only
  bool uses_tls() const noexcept {
    return scheme == Scheme::tls || scheme == Scheme::wss || scheme == Scheme::ircs;
  }
  bool speaks_irc() const noexcept { return scheme == Scheme::irc || scheme == Scheme::ircs; }
};

// Throws config_error for anything but the forms above.
ListenUrl parse_listen_url(const std::string& url);

// Accepts connections on one endpoint, applies the connection limits, and hands each
// connection to a new Session over the listener's transport (its Link), on the next
// of the server's io_contexts in turn (Core::next_worker).
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens; throws config_error when that fails.
  Listener(Core& core, asio::io_context& context, ListenUrl url,
           std::shared_ptr<asio::ssl::context> tls);

  void start();
  void stop();  // posts the close to the listener's own context
  std::uint16_t port() const noexcept { return port_; }
  bool uses_tls() const noexcept { return url_.uses_tls(); }
  // New connections use this certificate from now on; open ones keep theirs.
  void set_tls(std::shared_ptr<asio::ssl::context> tls);

 private:
  void accept();
  void on_accept(std::error_code ec, TcpSocket socket);
  void open_session(TcpSocket socket, const asio::ip::tcp::endpoint& endpoint,
                    const std::string& address);
  void reject(TcpSocket socket, const std::string& address, ReplyError why);

  Core& core_;
  ListenUrl url_;
  const Protocol& protocol_;  // what the listener's connections speak
  // What a refused connection is told, as the listener's link carries it (Link::refusal):
  // for server_full and too_many_connections.
  std::array<std::string, 2> refusals_;
  static constexpr std::size_t max_lingering = 256;
  std::mutex refusals_mutex_;
  std::vector<std::weak_ptr<Refusal>> lingering_;  // refused, waiting for the client's close
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::uint16_t port_ = 0;
  std::mutex tls_mutex_;
  std::shared_ptr<asio::ssl::context> tls_;
};

}  // namespace socketchat::detail
