#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "settings.hpp"

namespace socketchatd {

// How one setting is read into Settings (setting_binding.hpp makes these).
struct Binding {
  // Defines the option on `app`, read into `settings`, whose value is the default.
  std::function<CLI::Option*(CLI::App& app, Settings& settings, const std::string& flag,
                             const std::string& help)>
      add;
  std::function<bool(const Settings& a, const Settings& b)> differs;
  // The value as the config file spells it (TOML): 4096, "text", ["a", "b"], true.
  std::function<std::string(const Settings& settings)> toml;
};

// Who applies a new value when SIGHUP reloads the configuration.
enum class Reload {
  server,   // Server::reconfigure(): at once, or as needing a restart for what it feeds
  daemon,   // the daemon itself, at once (the log)
  restart,  // nobody: read once at start, so a change is named as needing a restart
};

// One setting of the daemon: all that its flag, environment variable and config key,
// --help, the README's table, the sample config and a reload need to know of it.
struct Setting {
  std::string key;   // the config key; the flag is --key, the variable SOCKETCHAT_KEY
  std::string unit;  // what its value is, shown after the flag: SECONDS, BYTES, FILE...
  std::string help;  // what it does: --help, the README and the sample config say this
  Reload reload;
  std::vector<std::string> feeds = {};  // the ServerOptions members it sets
  std::string example;                  // a valid value other than the default, as a flag takes it
  Binding binding;
  std::optional<CLI::Validator> check = std::nullopt;  // beyond its binding's own
  std::string section = {};  // in the sample config, a group under this heading starts here
};

// Every setting, in the order of --help and the sample config.
const std::vector<Setting>& setting_table();

// "SOCKETCHAT_MAX_LINE_BYTES" for max-line-bytes.
std::string env_name(const Setting& setting);

// True when a reload cannot change the setting: it keeps its value until a restart.
bool needs_restart(const Setting& setting);

}  // namespace socketchatd
