// socketchatd: runs a socketchat Server in the foreground, logging to stderr.
#include <signal.h>  // POSIX: sigwait, pthread_sigmask

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include <socketchat/socketchat.hpp>

#include "account_setup.hpp"
#include "accounts_command.hpp"
#include "cluster_setup.hpp"
#include "memory_trimmer.hpp"
#include "settings.hpp"
#include "stderr_log.hpp"
#include "switchable_sink.hpp"

namespace {

constexpr const char* name = "socketchatd";

// Lines of our own go out whole, never mixed with the log's lines, and are dropped
// rather than waited for when nobody reads stderr (the thread that says them also
// handles the signals, and must stay free to stop the server).
void say(const std::string& line) {
  socketchatd::stderr_log::try_write(line + "\n");
}

bool is_message(socketchat::EventKind kind) {
  return kind == socketchat::EventKind::message || kind == socketchat::EventKind::direct_message ||
         kind == socketchat::EventKind::room_message;
}

// The URL a listener was given with, but naming the port it really got (for port 0).
std::string bound_url(const std::string& url, std::uint16_t port) {
  return url.substr(0, url.rfind(':') + 1) + std::to_string(port);
}

int check_config(const socketchatd::Settings& settings) {
  try {
    auto options = socketchatd::server_options(settings);
    options.validate();       // the cluster's URL among the rest, but
    options.cluster.clear();  // the settings are checked, not the cluster's Redis
    socketchat::Server server{options};
    server.validate();  // binds nothing
  } catch (const socketchat::config_error& e) {
    say(std::string(name) + ": " + e.what());
    return 2;
  }
  std::cout << "configuration OK\n";
  return 0;
}

// Parses the command line, the environment and the config file into `settings`.
// Returns an exit status when the process should end now (help, version, an error),
// which CLI11 has then explained on `out` or `err`.
std::optional<int> parse(int argc, char** argv, socketchatd::Settings& settings,
                         std::ostream& out = std::cout, std::ostream& err = std::cerr) {
  CLI::App app{"socketchatd: a chat server speaking the socketchat line protocol", name};
  app.set_version_flag("--version", std::string(name) + " " + socketchat::version_string);
  socketchatd::add_settings(app, settings);
  app.footer("Accounts: socketchatd accounts --help");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e, out, err);  // prints help, version or the error
    bool checking = app.get_option("--check-config")->count() > 0;
    return status != 0 && checking ? 2 : status;
  }
  return std::nullopt;
}

// What a reload works with besides the server: the settings the daemon started with
// (what needs a restart keeps those) and the log's settings, which apply at once.
struct Running {
  const socketchatd::Settings& started;
  socketchat::Server& server;
  socketchatd::SwitchableSink& log;
  std::string log_format;
  std::atomic<bool>& log_messages;
  std::chrono::milliseconds& shutdown_timeout;  // the log's too, once the server has stopped
};

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// SIGHUP: reads the settings again, the same way as at start. What can change while
// running changes; what cannot is named ("needs a restart") and keeps its value; on
// any error, nothing changes. Nothing here touches std::cerr, which the log may be
// writing to at this very moment.
void reload(int argc, char** argv, Running& running) {
  socketchatd::Settings next;
  std::ostringstream out, errors;  // what CLI11 would print
  if (parse(argc, argv, next, out, errors)) {
    say("[ERROR] reload failed, keeping the current configuration: " + first_line(errors.str()));
    return;
  }
  std::vector<std::string> pending;
  try {
    pending = socketchatd::restart_needed(
        running.started, next, running.server.reconfigure(socketchatd::server_options(next)));
  } catch (const socketchat::config_error& e) {
    say(std::string("[ERROR] reload failed, keeping the current configuration: ") + e.what());
    return;
  }
  if (next.log_format != running.log_format) {
    running.log.switch_to(socketchatd::stderr_log::make_sink(next.log_format));
    running.log_format = next.log_format;
  }
  running.log_messages.store(next.log_messages, std::memory_order_relaxed);
  running.shutdown_timeout = next.options.shutdown_timeout;
  for (const auto& setting : pending) say("[INFO] reload: needs a restart: " + setting);
  say("[INFO] reload: configuration applied");
}

// Serves until SIGINT or SIGTERM; SIGHUP reloads the configuration.
void serve_until_stopped(socketchat::ShutdownSignals& signals, int argc, char** argv,
                         Running& running) {
  for (;;) {
    int signal = signals.wait();
    if (signal == SIGHUP) {
      reload(argc, argv, running);
      continue;
    }
    say(std::string("[INFO] ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") + ": shutting down");
    return;
  }
}

int serve(const socketchatd::Settings& settings, int argc, char** argv) {
  // Blocked before any server thread exists, so every thread inherits the mask and
  // the signals reach only the wait below.
  socketchat::ShutdownSignals signals{SIGINT, SIGTERM, SIGHUP};
  // A closed stderr (say, journald restarting) must not kill the server mid-write.
  signal(SIGPIPE, SIG_IGN);
  // After a burst, memory goes back to the system (started after the signal mask).
  socketchatd::MemoryTrimmer trimmer{std::chrono::seconds{5}};

  // The log is written from a thread of its own, a batch of lines at a time, so that
  // logging never holds up an I/O thread. When stderr stalls (a journald that does not
  // keep up, a pipe nobody reads), its queue fills and further lines are dropped and
  // counted (socketchat_sink_events_dropped_total in /metrics, and an
  // "[ERROR] events-dropped" line once the log moves again): chat never waits for it.
  auto log = std::make_shared<socketchatd::SwitchableSink>(
      socketchatd::stderr_log::make_sink(settings.log_format));
  auto queue = std::make_shared<socketchat::AsyncSink>(log, 1 << 16,
                                                       socketchat::OverflowPolicy::drop_newest);
  std::atomic<bool> log_messages{settings.log_messages};  // a reload may change it
  auto sink =
      std::make_shared<socketchat::FilterSink>(queue, [&log_messages](const socketchat::Event& e) {
        return !is_message(e.kind) || log_messages.load(std::memory_order_relaxed);
      });

  int status = 0;
  auto shutdown_timeout = settings.options.shutdown_timeout;
  try {
    auto options = socketchatd::server_options(settings);
    if (!socketchatd::open_cluster_stores(options)) socketchatd::open_history(settings, options);
    socketchatd::open_accounts_for_server(settings, options);
    socketchat::Server server{options};
    server.add_sink(sink);
    server.start();
    for (std::size_t i = 0; i < options.listeners.size(); ++i) {
      say(std::string(name) + " " + socketchat::version_string + " listening on " +
          bound_url(options.listeners[i], server.port(i)));
    }
    Running running{settings, server, *log, settings.log_format, log_messages, shutdown_timeout};
    serve_until_stopped(signals, argc, argv, running);
    server.stop();
  } catch (const std::exception& e) {  // config_error above all: a bad setting, a busy port
    say(std::string(name) + ": " + e.what());
    status = 1;
  }
  // The server is gone. The log has as long as clients had to write out what it holds;
  // if stderr is still stuck, the process ends without waiting for it.
  if (!queue->drain_for(shutdown_timeout)) std::_Exit(status);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // The admin command reads none of the server's settings: handled before they are parsed.
  if (argc > 1 && std::string_view(argv[1]) == "accounts") {
    return socketchatd::accounts_command(argc - 1, argv + 1);
  }
  socketchatd::Settings settings;
  if (auto status = parse(argc, argv, settings)) return *status;
  return settings.check_config ? check_config(settings) : serve(settings, argc, argv);
}
