#include "dialect.hpp"

#include <fmt/format.h>

#include "failure.hpp"
#include "irc_dialect.hpp"
#include "line_dialect.hpp"

namespace bench {

std::unique_ptr<Dialect> make_dialect(std::string_view name, std::string_view line_feed) {
  if (name == "line") {
    return std::make_unique<LineDialect>(line_feed == "global" ? LineFeed::global : LineFeed::room);
  }
  if (name == "irc") return std::make_unique<IrcDialect>();
  throw Failure(exit_setup, fmt::format("unknown dialect {} (line or irc)", name));
}

}  // namespace bench
