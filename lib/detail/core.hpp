#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "detail/event_bus.hpp"
#include "detail/hub.hpp"
#include "detail/line_protocol.hpp"
#include "detail/reply_error.hpp"
#include "socketchat/options.hpp"

namespace socketchat::detail {

class Session;

// What every connection of one server shares: settings, Hub, sinks, protocols and
// the table of open connections (for the connection limits and for shutdown).
class Core {
 public:
  explicit Core(ServerOptions options);

  const ServerOptions& options() const noexcept { return options_; }
  Hub& hub() noexcept { return hub_; }
  EventBus& bus() noexcept { return bus_; }
  const Protocol& line_protocol() const noexcept { return line_protocol_; }

  std::uint64_t next_connection_id() noexcept { return next_id_.fetch_add(1) + 1; }

  // Admits a new connection from `address`, or says which limit refuses it.
  std::optional<ReplyError> admit(const std::string& address);
  // Registers an admitted session; false if the server is stopping.
  bool add(std::shared_ptr<Session> session, const std::string& address);
  void remove(Session& session, const std::string& address);
  // Rolls back admit() for a connection that never became a session.
  void release(const std::string& address);

  // Begins a graceful stop of every session; calls on_drained once none is left.
  void shut_down(std::function<void()> on_drained);
  bool stopping() const noexcept { return stopping_.load(); }

  std::size_t connection_count() const;

 private:
  void drained_if_done_locked(std::unique_lock<std::mutex>& lock);

  ServerOptions options_;
  EventBus bus_;
  Hub hub_{bus_};
  LineProtocol line_protocol_;
  std::atomic<std::uint64_t> next_id_{0};
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;
  std::size_t admitted_ = 0;  // includes connections being set up
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions_;
  std::unordered_map<std::string, std::size_t> per_address_;
  std::function<void()> on_drained_;
};

}  // namespace socketchat::detail
