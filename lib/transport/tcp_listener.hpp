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
#include "transport/builtin_transports.hpp"
#include "transport/listen_url.hpp"
#include "transport/listener.hpp"

namespace asio::ssl {
class context;
}

namespace socketchat::detail {

class Protocols;
class Refusal;
struct SessionContext;

// A built-in transport's listener: accepts TCP connections on one endpoint, applies the
// connection limits, and hands each connection to a new Session over the transport's
// link (BuiltinTransport::open), on the next of the server's io_contexts in turn
// (Workers::next).
class TcpListener final : public Listener, public std::enable_shared_from_this<TcpListener> {
 public:
  // Binds and listens; throws config_error when that fails.
  // `protocols`: those a WebSocket client may ask for by subprotocol.
  TcpListener(const SessionContext& sessions, const Protocols& protocols, asio::io_context& context,
              const BuiltinTransport& transport, const ListenUrl& url, const Protocol& protocol,
              std::shared_ptr<asio::ssl::context> tls);

  void start() override;
  void stop() override;  // posts the close to the listener's own context
  std::uint16_t port() const noexcept override { return port_; }
  void set_tls(std::shared_ptr<asio::ssl::context> tls) override;

 private:
  void accept();
  void on_accept(std::error_code ec, TcpSocket socket);
  void open_session(TcpSocket socket, const asio::ip::tcp::endpoint& endpoint,
                    const std::string& address);
  void reject(TcpSocket socket, const std::string& address, ReplyError why);

  const SessionContext& sessions_;
  const Protocols& protocols_;
  const BuiltinTransport& transport_;
  std::string path_;          // ws and wss: where the upgrade is
  const Protocol& protocol_;  // what the listener's connections speak
  // What a refused connection is told, as the listener's link carries it (refusal):
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
