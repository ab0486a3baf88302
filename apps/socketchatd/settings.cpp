#include "settings.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>

#include <socketchat/error.hpp>

#include "setting_table.hpp"

namespace socketchatd {

namespace {

// CLI11 reads the config file before the environment and keeps whichever value came
// first, which would rank the file above the environment. Dropping the file's keys
// whose variable is set restores: flags > environment > config file > defaults.
class EnvironmentFirstConfig : public CLI::ConfigTOML {
 public:
  explicit EnvironmentFirstConfig(const CLI::App& app) : app_(app) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    auto found = CLI::ConfigTOML::from_config(input);
    std::erase_if(found, [this](const CLI::ConfigItem& item) { return set_in_environment(item); });
    return found;
  }

 private:
  bool set_in_environment(const CLI::ConfigItem& item) const {
    if (!item.parents.empty()) return false;
    const CLI::Option* option = app_.get_option_no_throw("--" + item.name);
    if (option == nullptr || option->get_envname().empty()) return false;
    const char* value = std::getenv(option->get_envname().c_str());
    return value != nullptr && *value != '\0';  // CLI11 ignores empty variables too
  }

  const CLI::App& app_;
};

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::string read_secret_file(std::string_view flag, const std::string& path) {
  constexpr std::size_t max_bytes = 64 * 1024;
  std::ifstream in(path, std::ios::binary);
  std::string secret;
  if (in) secret.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    throw socketchat::config_error(std::string(flag) + " \"" + path + "\": cannot be read");
  }
  if (secret.size() > max_bytes) {
    throw socketchat::config_error(std::string(flag) + " \"" + path + "\": too large for a secret");
  }
  if (secret.ends_with('\n')) secret.pop_back();
  if (secret.ends_with('\r')) secret.pop_back();
  return secret;
}

void add_settings(CLI::App& app, Settings& settings) {
  app.config_formatter(std::make_shared<EnvironmentFirstConfig>(app));
  // A misspelt key in the config file is an error, not a silently ignored line.
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.set_config("--config", "",
                 "Read settings from this file (key = value, keys named like the flags)")
      ->type_name("FILE");
  app.add_flag(
         "--check-config", settings.check_config,
         "Validate the settings, print \"configuration OK\" and exit 0 (2 on error); binds nothing")
      ->configurable(false);

  for (const Setting& setting : setting_table()) {
    CLI::Option* option = setting.binding.add(app, settings, "--" + setting.key, setting.help);
    option->envname(env_name(setting))->type_name(setting.unit);
    if (setting.check) option->check(*setting.check);
  }
}

socketchat::ServerOptions server_options(const Settings& settings) {
  socketchat::ServerOptions options = settings.options;
  options.history = settings.history != "off";
  using Accounts = socketchat::ServerOptions::Accounts;
  options.accounts = settings.accounts == "off"        ? Accounts::off
                     : settings.accounts == "required" ? Accounts::required
                                                       : Accounts::optional;
  options.registration_open = settings.registration != "closed";
  if (settings.jwt_algorithm != "off") {
    options.jwt_algorithm = settings.jwt_algorithm;
    if (!settings.jwt_secret_file.empty()) {
      options.jwt_secret = read_secret_file("jwt-secret-file", settings.jwt_secret_file);
    }
  }
  // Read when serving in a cluster: --check-config checks the settings, not the
  // cluster's Redis.
  if (!options.cluster.empty() && !settings.cluster_password_file.empty() &&
      !settings.check_config) {
    options.cluster_password =
        read_secret_file("cluster-password-file", settings.cluster_password_file);
  }
  options.history_retention = std::chrono::round<std::chrono::milliseconds>(
      std::chrono::duration<double, std::ratio<86400>>(settings.history_days));
  if (!settings.listen.empty()) {
    options.listeners = settings.listen;
  } else {
    bool ipv6 = settings.host.find(':') != std::string::npos;
    options.listeners = {"tcp://" + (ipv6 ? "[" + settings.host + "]" : settings.host) + ":" +
                         std::to_string(settings.port)};
  }
  return options;
}

std::vector<std::string> restart_needed(const Settings& started, const Settings& next,
                                        const std::vector<std::string>& named_by_server) {
  auto named = [&](const std::string& member) { return contains(named_by_server, member); };
  std::vector<std::string> names;
  for (const Setting& setting : setting_table()) {
    bool kept = setting.reload == Reload::restart ||
                (setting.reload == Reload::server &&
                 std::any_of(setting.feeds.begin(), setting.feeds.end(), named));
    if (kept && setting.binding.differs(started, next)) names.push_back(setting.key);
  }
  // What the server names and no setting here feeds is named all the same, in its words.
  for (const auto& member : named_by_server) {
    if (std::none_of(setting_table().begin(), setting_table().end(),
                     [&](const Setting& setting) { return contains(setting.feeds, member); })) {
      names.push_back(member);
    }
  }
  return names;
}

}  // namespace socketchatd
