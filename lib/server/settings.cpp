#include "server/settings.hpp"

namespace socketchat::detail {

Settings::Settings(ServerOptions options) : options_(std::move(options)) {}

void Settings::publish(ServerOptions applied) {
  limits_.apply(applied);
  if (applied != options()) {
    later_options_.push_back(std::make_unique<const ServerOptions>(std::move(applied)));
    current_options_.store(later_options_.back().get(), std::memory_order_release);
  }
}

}  // namespace socketchat::detail
