// socketchatd built against a library without SQLite (-DSOCKETCHAT_SQLITE=OFF): its one
// SQLite-dependent file is compiled here without SOCKETCHAT_HAS_SQLITE.
#include <doctest/doctest.h>

#include <string>

#include <socketchat/error.hpp>

#include "history_choice.hpp"
#include "settings.hpp"

#if SOCKETCHAT_HAS_SQLITE
#error "this test must be built as if the library had no SQLite"
#endif

using namespace socketchatd;

TEST_CASE("without SQLite, history is kept in memory and SQLite is refused, saying why") {
  CHECK(default_history() == "memory");
  CHECK(Settings{}.history == "memory");

  std::string kind = "memory";
  CHECK(history_kinds()(kind).empty());
  kind = "off";
  CHECK(history_kinds()(kind).empty());
  kind = "sqlite";
  CHECK(history_kinds()(kind) == "this socketchatd is built without SQLite: use memory or off");
  std::string directory = "/var/lib/socketchat";
  CHECK(data_dir_allowed()(directory).find("built without SQLite") != std::string::npos);

  Settings settings;
  socketchat::ServerOptions options;
  open_history(settings, options);
  CHECK_FALSE(options.history_store);
  settings.history = "sqlite";  // only if a check was skipped
  CHECK_THROWS_AS(open_history(settings, options), socketchat::config_error);
}

TEST_CASE("without SQLite, there are no accounts to open") {
  CHECK_FALSE(sqlite_built_in());
  CHECK_THROWS_WITH_AS(open_accounts("/var/lib/socketchat"),
                       "this socketchatd is built without SQLite: accounts need SQLite",
                       socketchat::config_error);
}
