#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <socketchat/options.hpp>

#include "history_choice.hpp"

namespace socketchatd {

// Everything the daemon can be told, as parsed from flags, environment and config file.
// Each member is a setting of setting_table.cpp, which says how it is read.
struct Settings {
  socketchat::ServerOptions options;  // limits and timeouts, bound directly to their flags
  // ServerOptions has these only as its fallback for an empty listener list
  // ("tcp://0.0.0.0:4000"), not as values to read, so they are spelt out here.
  std::string host = "0.0.0.0";
  unsigned port = 4000;
  std::vector<std::string> listen;  // when given, replaces host and port
  std::string log_format = "text";
  bool log_messages = true;                    // false: MSG, DM and SAY texts stay out of the log
  std::string history = default_history();     // sqlite, memory or off
  std::string data_dir = "./socketchat-data";  // where the sqlite history lives
  std::string history_sync = "normal";         // normal (a crash) or full (a power loss)
  std::size_t history_journal_bytes = default_history_journal_bytes();
  double history_days = 30;           // retention; 0 = for ever
  std::string accounts = "optional";  // off, optional or required
  std::string registration = "open";  // open or closed
  std::string jwt_algorithm = "off";  // off, HS256, RS256 or ES256
  std::string jwt_secret_file;        // HS256: the file holding the secret
  std::string cluster_password_file;  // Redis's password, with --cluster
  bool check_config = false;
};

// Defines every setting of setting_table() on `app` (flag, environment variable and
// config file key), bound to `settings`, whose values are the defaults; and --config,
// --check-config.
void add_settings(CLI::App& app, Settings& settings);

// The options to start a server with: the parsed limits plus the listeners and the
// history settings, without opening any store (see open_history()). With a JWT
// algorithm, reads the JWT secret from its file; throws socketchat::config_error when it
// cannot.
socketchat::ServerOptions server_options(const Settings& settings);

// The secret in `path` (at most 64 KiB), without one trailing newline (as `echo` and
// editors leave it); config_error naming `flag` if it cannot be read.
std::string read_secret_file(std::string_view flag, const std::string& path);

// The settings, by key, that a reload from `started` to `next` cannot apply: those the
// daemon reads only at start, and those feeding what the server named as needing a
// restart (Server::reconfigure's answer), when they differ.
std::vector<std::string> restart_needed(const Settings& started, const Settings& next,
                                        const std::vector<std::string>& named_by_server);

}  // namespace socketchatd
