// The only part of the daemon that knows whether the library was built with SQLite
// (SOCKETCHAT_HAS_SQLITE); a test builds it without, so both ways are compiled and run.
#include "history_choice.hpp"

#include <filesystem>
#include <memory>

#include <socketchat/error.hpp>

#include "settings.hpp"

#if SOCKETCHAT_HAS_SQLITE
#include <socketchat/sqlite_account_store.hpp>
#include <socketchat/sqlite_history_store.hpp>
#endif

namespace socketchatd {

namespace {

#if SOCKETCHAT_HAS_SQLITE
constexpr bool with_sqlite = true;
#else
constexpr bool with_sqlite = false;
#endif

constexpr const char* without_sqlite = "this socketchatd is built without SQLite";

}  // namespace

std::string default_history() {
  return with_sqlite ? "sqlite" : "memory";
}

std::size_t default_history_journal_bytes() {
#if SOCKETCHAT_HAS_SQLITE
  return socketchat::SqliteHistoryOptions{}.journal_bytes;
#else
  return 0;
#endif
}

CLI::Validator history_kinds() {
  return CLI::Validator(
      [](std::string& kind) -> std::string {
        if (kind == "memory" || kind == "off" || (with_sqlite && kind == "sqlite")) return "";
        if (kind == "sqlite") return std::string(without_sqlite) + ": use memory or off";
        return "must be " + std::string(with_sqlite ? "sqlite, " : "") + "memory or off";
      },
      with_sqlite ? "{sqlite,memory,off}" : "{memory,off}", "HISTORY_KIND");
}

CLI::Validator data_dir_allowed() {
  return CLI::Validator(
      [](std::string&) -> std::string {
        return with_sqlite ? "" : std::string(without_sqlite) + ": there is no data directory";
      },
      "", "DATA_DIR");
}

void open_history(const Settings& settings, [[maybe_unused]] socketchat::ServerOptions& options) {
  if (settings.history != "sqlite") return;
#if SOCKETCHAT_HAS_SQLITE
  std::error_code ec;
  std::filesystem::create_directories(settings.data_dir, ec);
  if (ec) {
    throw socketchat::config_error("cannot create data directory '" + settings.data_dir +
                                   "': " + ec.message());
  }
  options.history_store = std::make_shared<socketchat::SqliteHistoryStore>(
      std::filesystem::path(settings.data_dir) / "history.db",
      socketchat::SqliteHistoryOptions{.sync_full = settings.history_sync == "full",
                                       .journal_bytes = settings.history_journal_bytes});
#else
  throw socketchat::config_error(std::string(without_sqlite) + ": history sqlite");
#endif
}

bool sqlite_built_in() {
  return with_sqlite;
}

std::unique_ptr<socketchat::AccountStore> open_accounts(
    [[maybe_unused]] const std::string& data_dir) {
#if SOCKETCHAT_HAS_SQLITE
  return std::make_unique<socketchat::SqliteAccountStore>(
      (std::filesystem::path(data_dir) / "accounts.db").string());
#else
  throw socketchat::config_error(std::string(without_sqlite) + ": accounts need SQLite");
#endif
}

}  // namespace socketchatd
