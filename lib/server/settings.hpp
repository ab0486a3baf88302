#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "server/live_limits.hpp"
#include "socketchat/options.hpp"

namespace socketchat::detail {

// The settings of one server: those given at start, and what the reloads made of them.
class Settings {
 public:
  // `options` as the server runs with them: validated, listeners filled in.
  explicit Settings(ServerOptions options);

  // The settings in effect: those given at start, with the ones that can change at run
  // time as the last reconfigure() left them. Safe from any thread: a reconfigure that
  // changes something publishes a new snapshot, and every snapshot lives as long as the
  // Settings, so the reference stays valid (a reload costs memory only when it changes
  // something). The hot numbers are also in limits(), as atomics.
  const ServerOptions& options() const noexcept {
    return *current_options_.load(std::memory_order_acquire);
  }
  const LiveLimits& limits() const noexcept { return limits_; }

  // Makes `applied` the settings in effect: limits() take its numbers, and options()
  // a new snapshot if it differs from the running one. One call at a time (the caller,
  // Core::reconfigure, holds its lock from reading options() to this).
  void publish(ServerOptions applied);

 private:
  ServerOptions options_;  // as given at start
  LiveLimits limits_{options_};
  std::atomic<const ServerOptions*> current_options_{&options_};
  std::vector<std::unique_ptr<const ServerOptions>> later_options_;  // one publish() at a time
};

}  // namespace socketchat::detail
