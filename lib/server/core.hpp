#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hub/hub.hpp"
#include "protocol/protocols.hpp"
#include "server/connection_table.hpp"
#include "server/front_answer_loop.hpp"
#include "server/metrics.hpp"
#include "server/settings.hpp"
#include "server/workers.hpp"
#include "session/output_locks.hpp"
#include "session/session_context.hpp"
#include "sinks/event_bus.hpp"
#include "socketchat/options.hpp"
#include "store/history_writer.hpp"
#include "transport/transports.hpp"

namespace asio {
class io_context;
}

namespace socketchat::detail {

class ClusterLink;

// What one server is made of: its settings, Hub, sinks, protocols, transports,
// metrics, io_contexts and the table of open connections. Core makes and owns them;
// each part is handed only the others it uses.
class Core {
 public:
  static constexpr const char* default_listener = "tcp://0.0.0.0:4000";

  explicit Core(ServerOptions options);
  ~Core();

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
  // The io_contexts connections run on; set once by the server before it starts.
  Workers& workers() noexcept { return workers_; }
  ConnectionTable& connections() noexcept { return connections_; }

  // What a connection, and a listener making connections, may use of the above.
  const SessionContext& sessions() const noexcept { return sessions_; }

  // Removes history older than the retention setting (if any).
  void prune_history();
  // Finishes pending history work and stops its thread: before the io_contexts go.
  void stop_history();

  // A cluster's node joins it (ClusterLink::start) on `context`; `ready` once, with why
  // not if it could not. At once, ready, for a server on its own.
  void start_cluster(asio::io_context& context, std::function<void(std::string)> ready);
  // Leaves the cluster (its names given back), then `done`; at once when there is none.
  void stop_cluster(std::function<void()> done);
  // Closes the cluster's connections now: before the io_contexts go.
  void close_cluster();

 private:
  static ServerOptions with_default_listener(ServerOptions options);
  void use_cluster_history(const ServerOptions& given);

  Settings settings_;
  std::mutex reconfigure_mutex_;
  EventBus bus_;
  // A cluster's node: its link to Redis (null for a server on its own), made before the
  // Hub, whose directory and delivery are then the cluster's.
  std::unique_ptr<ClusterLink> cluster_;
  struct HubParts {
    std::unique_ptr<Directory> directory;
    std::unique_ptr<Delivery> delivery;
  };
  static HubParts hub_parts(ClusterLink* cluster, bool history);
  HubParts hub_parts_ = hub_parts(cluster_.get(), settings_.options().history);
  Hub hub_{bus_, std::move(hub_parts_.directory), std::move(hub_parts_.delivery)};
  Workers workers_;                        // before the history writer, which answers there:
  FrontAnswerLoop answer_loop_{workers_};  // on the first io_context
  std::shared_ptr<HistoryStore> history_store_;
  std::unique_ptr<HistoryWriter> history_writer_;
  Protocols protocols_{settings_.options().max_line_bytes, settings_.options().server_name};
  Transports transports_;
  Metrics metrics_;
  OutputLocks output_locks_;  // before the connections, which use them to the end
  ConnectionTable connections_{settings_, hub_, bus_, workers_};
  SessionContext sessions_{hub_, bus_, metrics_, settings_, connections_, workers_, output_locks_};
  std::shared_ptr<void> alive_ = std::make_shared<int>(0);  // expires with Core
};

}  // namespace socketchat::detail
