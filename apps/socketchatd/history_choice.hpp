#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include <socketchat/account_store.hpp>
#include <socketchat/options.hpp>

namespace socketchatd {

struct Settings;

// What --history can be in this build. socketchatd keeps history in SQLite by default;
// built without SQLite (-DSOCKETCHAT_SQLITE=OFF) it keeps it in memory, and refuses
// --history sqlite and --data-dir with a message saying why.
std::string default_history();
// The journal's bound, SqliteHistoryOptions' own default (0 without SQLite: no journal).
std::size_t default_history_journal_bytes();
CLI::Validator history_kinds();  // sqlite (when built in), memory or off
CLI::Validator data_dir_allowed();

// Creates the data directory and opens the SQLite history in it, when the settings ask
// for that; throws socketchat::config_error naming what failed.
void open_history(const Settings& settings, socketchat::ServerOptions& options);

// Accounts live in SQLite only: `socketchatd accounts` says so when it is not built in.
bool sqlite_built_in();
// Opens <data_dir>/accounts.db (created if missing, in a directory that must exist);
// throws socketchat::config_error naming what failed, and always without SQLite.
std::unique_ptr<socketchat::AccountStore> open_accounts(const std::string& data_dir);

}  // namespace socketchatd
