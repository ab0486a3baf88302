#include "dialect.hpp"

#include <fmt/format.h>

#include "failure.hpp"
#include "irc_dialect.hpp"
#include "line_dialect.hpp"

namespace bench {

std::unique_ptr<Dialect> make_dialect(std::string_view name, std::string_view line_feed,
                                      std::string_view caps) {
  if (!caps.empty() && caps != "ids") {
    throw Failure(exit_setup, fmt::format("unknown capability {} (ids)", caps));
  }
  if (name == "line") {
    return std::make_unique<LineDialect>(line_feed == "global" ? LineFeed::global : LineFeed::room,
                                         caps == "ids" ? LineCaps::ids : LineCaps::none);
  }
  if (name == "irc") {
    if (!caps.empty()) {
      throw Failure(exit_setup,
                    "--caps is socketchat's line protocol only: IRC has no message ids "
                    "(drop --caps, or use --dialect line)");
    }
    return std::make_unique<IrcDialect>();
  }
  throw Failure(exit_setup, fmt::format("unknown dialect {} (line or irc)", name));
}

}  // namespace bench
