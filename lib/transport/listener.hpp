#pragma once

#include <cstdint>
#include <memory>

namespace asio::ssl {
class context;
}

namespace socketchat::detail {

// One listener URL, listening: the built-in TCP-based transports (TcpListener) or an
// embedder's Transport (StreamListener). Made by Transports::listen.
class Listener {
 public:
  virtual ~Listener() = default;
  virtual void start() = 0;
  virtual void stop() = 0;  // from any thread
  virtual std::uint16_t port() const noexcept = 0;
  // New connections over TLS use this certificate from now on; open ones keep theirs.
  // Listeners without TLS ignore it.
  virtual void set_tls(std::shared_ptr<asio::ssl::context> /*tls*/) {}
};

}  // namespace socketchat::detail
