#pragma once

#include <span>
#include <string>
#include <string_view>

#include "socketchat/options.hpp"

namespace socketchat::detail {

// What a running server does with a new value of a setting (Server::reconfigure).
enum class Change {
  live,     // takes it: at once, or for what comes next (a new connection, the next prune)
  restart,  // was used up at start: keeps its running value, and is named when it differs
};

// One member of ServerOptions, and the one place that says how it is checked and
// whether a running server can change it.
struct OptionDescriptor {
  std::string_view name;  // the member's name, as reconfigure() names it
  Change change;
  bool (*differs)(const ServerOptions& a, const ServerOptions& b);
  void (*copy)(const ServerOptions& from, ServerOptions& to);  // this member only
  // Why the value makes no sense (it may look at other members too), or "".
  std::string (*problem)(const ServerOptions& options, std::string_view name);
};

// Every member of ServerOptions, in its order; one left out fails the build.
std::span<const OptionDescriptor> option_table() noexcept;

}  // namespace socketchat::detail
