#include "settings.hpp"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include <socketchat/error.hpp>
#include <socketchat/sqlite_history_store.hpp>

namespace socketchatd {

namespace {

// Upper bound for a duration flag: keeps the conversion to milliseconds in range.
constexpr double max_seconds = 1e9;

// "--max-line-bytes" -> "SOCKETCHAT_MAX_LINE_BYTES"
std::string env_name(const std::string& flag) {
  std::string name = "SOCKETCHAT_";
  for (char c : flag.substr(2)) {
    name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

// CLI11 would read "-1" into an unsigned setting as its largest value.
const CLI::Validator not_negative{
    [](std::string& text) { return text.starts_with('-') ? "Value " + text + " is negative" : ""; },
    "", "NOT_NEGATIVE"};

// A secret: the message never repeats the value.
const CLI::Validator bearer_token{
    [](std::string& text) {
      return text.empty() || socketchat::is_bearer_token(text)
                 ? ""
                 : "must be 1-256 of A-Z a-z 0-9 - . _ ~ + / followed by any '=' (value not shown)";
    },
    "", "BEARER_TOKEN"};

// A setting: a flag, an environment variable and a config file key of the same name.
template <typename T>
CLI::Option* add_setting(CLI::App& app, const std::string& flag, T& target,
                         const std::string& help) {
  return app.add_option(flag, target, help)->envname(env_name(flag))->capture_default_str();
}

std::string seconds_text(std::chrono::milliseconds duration) {
  std::ostringstream out;
  out << std::chrono::duration<double>(duration).count();
  return out.str();
}

// A duration in seconds, fractions allowed (0.5), stored with millisecond resolution;
// CLI11 does not parse std::chrono types itself.
void add_seconds(CLI::App& app, const std::string& flag, std::chrono::milliseconds& target,
                 const std::string& help) {
  auto store = [&target](double seconds) {
    target = std::chrono::round<std::chrono::milliseconds>(std::chrono::duration<double>(seconds));
  };
  app.add_option_function<double>(flag, store, help)
      ->envname(env_name(flag))
      ->type_name("SECONDS")
      ->default_str(seconds_text(target))
      ->check(CLI::Range(0.0, max_seconds).description(""));
}

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

}  // namespace

void add_settings(CLI::App& app, Settings& settings) {
  auto& options = settings.options;

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

  add_setting(app, "--host", settings.host,
              "Address to listen on (ignored when --listen is given)");
  add_setting(app, "--port", settings.port, "TCP port to listen on; 0 picks a free port")
      ->type_name("PORT")
      ->check(CLI::Range(0u, 65535u).description(""));
  add_setting(app, "--listen", settings.listen,
              "Listener URL, repeatable (comma-separated in the environment): tcp://host:port, "
              "tls://host:port, ws://host:port[/path], wss://host:port[/path], and IRC on "
              "irc://host:port, ircs://host:port; replaces --host and --port")
      ->type_name("URL")
      ->delimiter(',')
      ->default_str("");

  add_setting(app, "--tls-cert", options.tls_certificate_file,
              "PEM certificate (chain) for tls://, wss:// and ircs:// listeners; re-read on SIGHUP")
      ->type_name("FILE");
  add_setting(app, "--tls-key", options.tls_private_key_file,
              "PEM private key for --tls-cert; re-read on SIGHUP")
      ->type_name("FILE");
  add_setting(app, "--ws-allowed-origin", options.websocket_allowed_origins,
              "Origin accepted on a WebSocket upgrade, repeatable; none given: any")
      ->type_name("ORIGIN")
      ->delimiter(',')
      ->default_str("");
  add_setting(app, "--metrics-token", options.metrics_token,
              "Serve /metrics only to requests with \"Authorization: Bearer TOKEN\"; none "
              "given: to anyone. Better in the environment or the config file than on the "
              "command line, which other users can see")
      ->type_name("TOKEN")
      ->check(bearer_token);
  add_seconds(app, "--handshake-timeout", options.handshake_timeout,
              "Time a new connection has for its TLS handshake or WebSocket upgrade");
  add_seconds(app, "--idle-timeout", options.idle_timeout,
              "Disconnect a client silent this many seconds; 0 = off");
  add_seconds(app, "--login-timeout", options.login_timeout,
              "Disconnect a client not logged in after this many seconds; 0 = off");
  add_seconds(app, "--shutdown-timeout", options.shutdown_timeout,
              "On stop, wait this many seconds for each client's output to drain");

  add_setting(app, "--max-line-bytes", options.max_line_bytes, "Longest accepted line, in bytes")
      ->check(not_negative);
  add_setting(app, "--sendq-bytes", options.sendq_bytes,
              "Output queued for one slow client before it is dropped; 0 = unlimited")
      ->check(not_negative);
  add_setting(app, "--rate", options.rate_per_second, "Commands per connection per second; 0 = off")
      ->check(not_negative);
  add_setting(app, "--rate-burst", options.rate_burst, "Commands allowed in one burst")
      ->check(not_negative);
  add_setting(app, "--max-connections", options.max_connections,
              "Connections to the whole server; 0 = unlimited")
      ->check(not_negative);
  add_setting(app, "--max-connections-per-ip", options.max_connections_per_ip,
              "Connections from one address; 0 = off")
      ->check(not_negative);
  add_setting(app, "--connection-limit-exempt", options.connection_limit_exempt,
              "Addresses or CIDR networks --max-connections-per-ip does not apply to, "
              "repeatable (e.g. a proxy); \"\" for none")
      ->type_name("CIDR")
      ->delimiter(',');
  add_setting(app, "--max-rooms", options.max_rooms,
              "Rooms on the whole server (a JOIN creating one more gets ERR too-many-rooms); "
              "0 = unlimited")
      ->check(not_negative);
  add_setting(app, "--max-rooms-per-user", options.max_rooms_per_user,
              "Rooms one user may be in at once (IRC's CHANLIMIT); 0 = unlimited")
      ->check(not_negative);
  add_setting(app, "--max-reply-bytes", options.max_reply_bytes,
              "Longest list reply (WHO, ROOMS, HISTORY, IRC LIST/NAMES/WHO), at most a quarter "
              "of --sendq-bytes; a longer list is cut short with MORE <n>")
      ->check(not_negative);
  add_setting(app, "--threads", options.threads, "I/O threads; 0 = one per core")
      ->check(not_negative);

  add_setting(app, "--send-buffer-bytes", options.send_buffer_bytes,
              "Kernel send buffer per connection (SO_SNDBUF); 0 = the system's own")
      ->check(not_negative);

  add_setting(app, "--log-format", settings.log_format, "Log lines on stderr as text or json")
      ->check(CLI::IsMember({"text", "json"}));

  app.add_option("--log-messages", settings.log_messages,
                 "Log every MSG and DM with its text (false keeps texts out of the log)")
      ->envname(env_name("--log-messages"))
      ->type_name("BOOL")
      ->default_str(settings.log_messages ? "true" : "false");

  add_setting(app, "--history", settings.history,
              "Where HISTORY comes from: sqlite (in --data-dir), memory, or off")
      ->check(CLI::IsMember({"sqlite", "memory", "off"}));
  add_setting(app, "--data-dir", settings.data_dir,
              "Directory for the history database (created if missing)")
      ->type_name("DIR");
  add_setting(app, "--history-days", settings.history_days,
              "Remove history older than this many days (checked hourly); 0 = keep for ever")
      ->check(CLI::Range(0.0, 1e6).description(""));
  add_setting(app, "--history-memory-bytes", options.history_memory_bytes,
              "With --history memory: the bytes all messages may take; past it the oldest "
              "messages of the least recently written histories go first")
      ->check(not_negative);
}

socketchat::ServerOptions server_options(const Settings& settings) {
  socketchat::ServerOptions options = settings.options;
  options.history = settings.history != "off";
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

void open_history(const Settings& settings, socketchat::ServerOptions& options) {
  if (settings.history != "sqlite") return;
  std::error_code ec;
  std::filesystem::create_directories(settings.data_dir, ec);
  if (ec) {
    throw socketchat::config_error("cannot create data directory '" + settings.data_dir +
                                   "': " + ec.message());
  }
  options.history_store = std::make_shared<socketchat::SqliteHistoryStore>(
      std::filesystem::path(settings.data_dir) / "history.db");
}

}  // namespace socketchatd
