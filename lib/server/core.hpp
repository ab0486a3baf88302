#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hub/hub.hpp"
#include "protocol/protocols.hpp"
#include "server/connection_table.hpp"
#include "server/metrics.hpp"
#include "server/settings.hpp"
#include "server/workers.hpp"
#include "sinks/event_bus.hpp"
#include "socketchat/options.hpp"
#include "store/history_writer.hpp"
#include "transport/transports.hpp"

namespace socketchat::detail {

// What one server is made of: its settings, Hub, sinks, protocols, transports,
// metrics, io_contexts and the table of open connections. Core makes and owns them;
// each part is handed only the others it uses.
class Core {
 public:
  static constexpr const char* default_listener = "tcp://0.0.0.0:4000";

  explicit Core(ServerOptions options);

  // The settings in effect (Settings::options).
  const ServerOptions& options() const noexcept { return settings_.options(); }
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
  // The io_contexts connections run on; set once by the server before it starts.
  Workers& workers() noexcept { return workers_; }
  ConnectionTable& connections() noexcept { return connections_; }

  // Until the layers take what they use.
  const LiveLimits& limits() const noexcept { return settings_.limits(); }
  void set_workers(std::vector<asio::io_context*> workers) { workers_.set(std::move(workers)); }
  asio::io_context& next_worker() noexcept { return workers_.next(); }
  std::uint64_t next_connection_id() noexcept { return connections_.next_connection_id(); }
  std::optional<ReplyError> admit(const std::string& address) {
    return connections_.admit(address);
  }
  void publish_refusal(const std::string& address, ReplyError why) {
    connections_.publish_refusal(address, why);
  }
  void release(const std::string& address) { connections_.release(address); }
  bool add(std::shared_ptr<Connection> connection, const std::string& address) {
    return connections_.add(std::move(connection), address);
  }
  void remove(Connection& connection, const std::string& address) {
    connections_.remove(connection, address);
  }
  void shut_down(std::function<void()> on_drained) {
    connections_.shut_down(std::move(on_drained));
  }
  bool stopping() const noexcept { return connections_.stopping(); }
  void hub_work_ended() { connections_.hub_work_ended(); }
  std::size_t connection_count() const { return connections_.connection_count(); }

  // Removes history older than the retention setting (if any).
  void prune_history();
  // Finishes pending history work and stops its thread: before the io_contexts go.
  void stop_history();

 private:
  static ServerOptions with_default_listener(ServerOptions options);

  Settings settings_;
  std::mutex reconfigure_mutex_;
  EventBus bus_;
  Hub hub_{bus_};
  std::shared_ptr<HistoryStore> history_store_;
  std::unique_ptr<HistoryWriter> history_writer_;
  Protocols protocols_{settings_.options().max_line_bytes};
  Transports transports_;
  Metrics metrics_;
  Workers workers_;
  ConnectionTable connections_{settings_, hub_, bus_, workers_};
  std::shared_ptr<void> alive_ = std::make_shared<int>(0);  // expires with Core
};

}  // namespace socketchat::detail
