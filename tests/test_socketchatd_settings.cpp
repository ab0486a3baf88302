// socketchatd's settings, from its table (apps/socketchatd/setting_table.cpp): every one
// reaches its flag, its environment variable, its config key and --help, and a reload
// applies it or names it as needing a restart, as the README's table says.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <socketchat/error.hpp>
#include <socketchat/server.hpp>

#include "setting_table.hpp"
#include "settings.hpp"

using namespace socketchatd;

namespace {

// The settings as socketchatd would read them from these arguments and the environment.
Settings parse(std::vector<std::string> args) {
  Settings settings;
  CLI::App app;
  add_settings(app, settings);
  std::reverse(args.begin(), args.end());  // CLI11 takes the last first
  app.parse(args);
  return settings;
}

std::string help() {
  Settings settings;
  CLI::App app{"socketchatd", "socketchatd"};
  add_settings(app, settings);
  return app.help();
}

// A config file in the temporary directory holding `text`, removed with this.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text) { std::ofstream(path_) << text; }
  ~ConfigFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_ = "test_socketchatd_settings.conf";
};

}  // namespace

TEST_CASE("every setting has a flag, an environment variable and a config key, all in --help") {
  const Settings defaults = parse({});
  const std::string shown = help();
  for (const Setting& setting : setting_table()) {
    CAPTURE(setting.key);
    const std::string flag = "--" + setting.key;
    CHECK(shown.find(flag + " " + setting.unit) != std::string::npos);
    CHECK(shown.find("(Env:" + env_name(setting) + ")") != std::string::npos);

    const Settings from_flag = parse({flag, setting.example});
    CHECK(setting.binding.differs(defaults, from_flag));  // the example is no default

    ::setenv(env_name(setting).c_str(), setting.example.c_str(), 1);
    const Settings from_environment = parse({});
    ::unsetenv(env_name(setting).c_str());
    CHECK_FALSE(setting.binding.differs(from_flag, from_environment));

    ConfigFile config(setting.key + " = " + setting.binding.toml(from_flag) + "\n");
    const Settings from_file = parse({"--config", config.path()});
    CHECK_FALSE(setting.binding.differs(from_flag, from_file));
  }
}

TEST_CASE("a reload names exactly the settings it cannot apply, each changed alone") {
  // History in memory, a certificate that no listener reads, and a JWT key that nothing
  // reads before a restart: each setting may change alone and still be valid.
  const std::vector<std::pair<std::string, std::string>> base{
      {"history", "memory"},
      {"tls-cert", "unused.crt"},
      {"tls-key", "unused.key"},
      {"jwt-public-key-file", "unused.pem"}};
  auto with = [&](const Setting* changed) {
    std::vector<std::string> args;
    for (const auto& [key, value] : base) {
      if (!changed || key != changed->key) args.insert(args.end(), {"--" + key, value});
    }
    if (changed) args.insert(args.end(), {"--" + changed->key, changed->example});
    return parse(args);
  };
  const Settings started = with(nullptr);
  socketchat::Server server{server_options(started)};
  for (const Setting& setting : setting_table()) {
    CAPTURE(setting.key);
    const Settings next = with(&setting);
    auto named = restart_needed(started, next, server.reconfigure(server_options(next)));
    CHECK(named == (needs_restart(setting) ? std::vector<std::string>{setting.key}
                                           : std::vector<std::string>{}));
    CHECK(restart_needed(started, started, server.reconfigure(server_options(started))).empty());
  }
}

TEST_CASE("what the server names and no setting feeds is named all the same") {
  const Settings settings = parse({});
  CHECK(restart_needed(settings, settings, {"a_later_setting"}) ==
        std::vector<std::string>{"a_later_setting"});
  CHECK(restart_needed(settings, settings, {"listeners"}).empty());  // host, port, listen alike
}

TEST_CASE("the JWT secret comes from its file, without a trailing newline, only when used") {
  const std::string secret(40, 's');
  ConfigFile file(secret + "\n");  // as `echo` writes it
  auto options =
      server_options(parse({"--jwt-algorithm", "HS256", "--jwt-secret-file", file.path()}));
  CHECK(options.jwt_algorithm == "HS256");
  CHECK(options.jwt_secret == secret);
  CHECK_NOTHROW(options.validate());

  // Off (the default): the file is not even read.
  options = server_options(parse({"--jwt-secret-file", "no-such-file"}));
  CHECK(options.jwt_algorithm.empty());
  CHECK(options.jwt_secret.empty());

  CHECK_THROWS_WITH_AS(
      server_options(parse({"--jwt-algorithm", "HS256", "--jwt-secret-file", "no-such-file"})),
      "jwt-secret-file \"no-such-file\": cannot be read", socketchat::config_error);
}
