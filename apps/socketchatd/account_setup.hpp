#pragma once

#include <socketchat/options.hpp>

#include "settings.hpp"

namespace socketchatd {

// With accounts on and SQLite built in: the accounts in <data-dir>/accounts.db and the
// session token keys in <data-dir>/token-keys (both made if missing, mode 0600), so
// accounts and tokens outlast a restart. Else they live in memory, for this run only.
// Throws socketchat::config_error naming what failed.
void open_accounts_for_server(const Settings& settings, socketchat::ServerOptions& options);

}  // namespace socketchatd
