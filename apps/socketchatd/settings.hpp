#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <socketchat/options.hpp>

namespace socketchatd {

// Everything the daemon can be told, as parsed from flags, environment and config file.
struct Settings {
  socketchat::ServerOptions options;  // limits and timeouts, bound directly to their flags
  // ServerOptions has these only as its fallback for an empty listener list
  // ("tcp://0.0.0.0:4000"), not as values to read, so they are spelt out here.
  std::string host = "0.0.0.0";
  unsigned port = 4000;
  std::vector<std::string> listen;  // when given, replaces host and port
  std::string log_format = "text";
  bool log_messages = true;                    // false: MSG, DM and SAY texts stay out of the log
  std::string history = "sqlite";              // sqlite, memory or off
  std::string data_dir = "./socketchat-data";  // where the sqlite history lives
  double history_days = 30;                    // retention; 0 = for ever
  bool check_config = false;
};

// Defines every flag, its environment variable and config file key on `app`, bound to
// `settings`, with the defaults of a default-constructed ServerOptions.
void add_settings(CLI::App& app, Settings& settings);

// The options to start a server with: the parsed limits plus the listeners and the
// history settings, without opening any store (see open_history()).
socketchat::ServerOptions server_options(const Settings& settings);

// Creates the data directory and opens the SQLite history in it, when the settings ask
// for that; throws socketchat::config_error naming what failed.
void open_history(const Settings& settings, socketchat::ServerOptions& options);

}  // namespace socketchatd
