#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "socketchat/options.hpp"

namespace socketchat::detail {

// The numbers that may change while the server runs (Server::reconfigure), read by
// every connection all the time: each is an atomic, so a reload needs no lock and a
// reader sees either the old value or the new one. The rest of what may change (the
// WebSocket origins, the handshake timeout, the metrics token...) is read less often,
// from Settings::options(): an immutable snapshot that a reload replaces as a whole.
class LiveLimits {
 public:
  using ms = std::chrono::milliseconds;

  explicit LiveLimits(const ServerOptions& options) { apply(options); }

  void apply(const ServerOptions& options) noexcept {
    idle_timeout_.store(options.idle_timeout.count(), std::memory_order_relaxed);
    login_timeout_.store(options.login_timeout.count(), std::memory_order_relaxed);
    shutdown_timeout_.store(options.shutdown_timeout.count(), std::memory_order_relaxed);
    sendq_bytes_.store(options.sendq_bytes, std::memory_order_relaxed);
    rate_per_second_.store(options.rate_per_second, std::memory_order_relaxed);
    rate_burst_.store(options.rate_burst, std::memory_order_relaxed);
    max_connections_.store(options.max_connections, std::memory_order_relaxed);
    max_connections_per_ip_.store(options.max_connections_per_ip, std::memory_order_relaxed);
  }

  ms idle_timeout() const noexcept { return ms{idle_timeout_.load(std::memory_order_relaxed)}; }
  ms login_timeout() const noexcept { return ms{login_timeout_.load(std::memory_order_relaxed)}; }
  ms shutdown_timeout() const noexcept {
    return ms{shutdown_timeout_.load(std::memory_order_relaxed)};
  }
  std::size_t sendq_bytes() const noexcept { return sendq_bytes_.load(std::memory_order_relaxed); }
  double rate_per_second() const noexcept {
    return rate_per_second_.load(std::memory_order_relaxed);
  }
  double rate_burst() const noexcept { return rate_burst_.load(std::memory_order_relaxed); }
  std::size_t max_connections() const noexcept {
    return max_connections_.load(std::memory_order_relaxed);
  }
  std::size_t max_connections_per_ip() const noexcept {
    return max_connections_per_ip_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::int64_t> idle_timeout_{0}, login_timeout_{0}, shutdown_timeout_{0};
  std::atomic<std::size_t> sendq_bytes_{0}, max_connections_{0}, max_connections_per_ip_{0};
  std::atomic<double> rate_per_second_{0}, rate_burst_{0};
};

}  // namespace socketchat::detail
