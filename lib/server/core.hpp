#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hub/hub.hpp"
#include "protocol/protocols.hpp"
#include "server/address_range.hpp"
#include "server/connection.hpp"
#include "server/live_limits.hpp"
#include "server/metrics.hpp"
#include "server/settings.hpp"
#include "server/workers.hpp"
#include "sinks/event_bus.hpp"
#include "socketchat/options.hpp"
#include "socketchat/reply_error.hpp"
#include "store/history_writer.hpp"
#include "transport/transports.hpp"

namespace asio {
class io_context;
}

namespace socketchat::detail {

// What every connection of one server shares: settings, Hub, sinks, protocols and
// the table of open connections (for the connection limits and for shutdown).
class Core {
 public:
  static constexpr const char* default_listener = "tcp://0.0.0.0:4000";

  explicit Core(ServerOptions options);

  // The settings in effect (Settings::options) and their hot numbers, as atomics.
  const ServerOptions& options() const noexcept { return settings_.options(); }
  const LiveLimits& limits() const noexcept { return settings_.limits(); }
  // Applies the settings that can change at run time; returns the names of those
  // that differ but need a restart (they keep their running value). Throws
  // config_error, changing nothing, if `next` is invalid.
  std::vector<std::string> reconfigure(const ServerOptions& next);

  Hub& hub() noexcept { return hub_; }
  EventBus& bus() noexcept { return bus_; }
  // Added to only before the server starts; read from any thread after.
  Protocols& protocols() noexcept { return protocols_; }
  Transports& transports() noexcept { return transports_; }
  Metrics& metrics() noexcept { return metrics_; }

  std::uint64_t next_connection_id() noexcept { return next_id_.fetch_add(1) + 1; }

  // The io_contexts connections run on; set once by the server before it starts.
  Workers& workers() noexcept { return workers_; }
  void set_workers(std::vector<asio::io_context*> workers) { workers_.set(std::move(workers)); }
  asio::io_context& next_worker() noexcept { return workers_.next(); }

  // Admits a new remote connection from `address`, or says which limit refuses it.
  std::optional<ReplyError> admit(const std::string& address);
  // Tells the sinks of a connection refused by admit().
  void publish_refusal(const std::string& address, ReplyError why);
  // Rolls back admit() for a connection that never became a session.
  void release(const std::string& address);
  // Registers an admitted connection (`address` set) or an in-process one (empty
  // address, not counted against the limits); false if the server is stopping.
  bool add(std::shared_ptr<Connection> connection, const std::string& address);
  void remove(Connection& connection, const std::string& address);

  // Begins a graceful stop of every connection; calls on_drained once none is left.
  // Messages being stored are delivered first: the connections are told to stop once
  // none is in flight, or after shutdown_timeout.
  void shut_down(std::function<void()> on_drained);
  bool stopping() const noexcept { return stopping_.load(); }

  // A connection's Peer::defer has finished work the Hub handed over (Hub::end_work).
  void hub_work_ended();

  std::size_t connection_count() const;  // remote and in-process

  // Removes history older than the retention setting (if any).
  void prune_history();
  // Finishes pending history work and stops its thread: before the io_contexts go.
  void stop_history();

 private:
  static ServerOptions with_default_listener(ServerOptions options);
  void drained_if_done_locked(std::unique_lock<std::mutex>& lock);
  void tell_connections_to_stop();  // once, after the Hub's work in flight

  Settings settings_;
  std::mutex reconfigure_mutex_;
  EventBus bus_;
  Hub hub_{bus_};
  std::shared_ptr<HistoryStore> history_store_;
  std::unique_ptr<HistoryWriter> history_writer_;
  Protocols protocols_{settings_.options().max_line_bytes};
  Transports transports_;
  Metrics metrics_;
  std::atomic<std::uint64_t> next_id_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stop_told_{false};
  std::shared_ptr<void> stop_timer_;  // an asio::steady_timer: shutdown_timeout for the above
  Workers workers_;

  mutable std::mutex mutex_;
  std::size_t admitted_ = 0;  // remote connections, including those being set up
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  std::unordered_map<std::string, std::size_t> per_address_;
  // connection_limit_exempt of the options in effect (parsed again when they change).
  bool exempt_locked(const std::string& address);
  const ServerOptions* exempt_of_ = nullptr;
  std::vector<AddressRange> exempt_;
  std::function<void()> on_drained_;
  std::shared_ptr<void> alive_ = std::make_shared<int>(0);  // expires with Core
};

}  // namespace socketchat::detail
