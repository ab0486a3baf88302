#include "account_setup.hpp"

#include <filesystem>

#include <socketchat/account_store.hpp>
#include <socketchat/error.hpp>

#include "accounts/session_tokens.hpp"
#include "history_choice.hpp"

namespace socketchatd {

void open_accounts_for_server(const Settings& settings, socketchat::ServerOptions& options) {
  if (options.accounts == socketchat::ServerOptions::Accounts::off || !sqlite_built_in()) return;
  std::error_code ec;
  std::filesystem::create_directories(settings.data_dir, ec);
  if (ec) {
    throw socketchat::config_error("cannot create data directory '" + settings.data_dir +
                                   "': " + ec.message());
  }
  if (!options.account_store) options.account_store = open_accounts(settings.data_dir);
  try {
    options.session_token_keys = socketchat::detail::SessionTokens::load_or_create_keys(
        std::filesystem::path(settings.data_dir) / "token-keys");
  } catch (const std::exception& e) {
    throw socketchat::config_error(e.what());
  }
}

}  // namespace socketchatd
