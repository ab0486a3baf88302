// socketchatd: runs a socketchat Server in the foreground, logging to stderr.
#include <signal.h>  // POSIX: sigwait, pthread_sigmask

#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include <socketchat/socketchat.hpp>

#include "settings.hpp"
#include "switchable_sink.hpp"

namespace {

constexpr const char* name = "socketchatd";

// Lines of our own go out whole, in one write, so they never interleave with the
// sink's lines written from the server's threads.
void say(const std::string& line) {
  std::cerr << line + "\n";
}

std::shared_ptr<socketchat::EventSink> make_sink(const std::string& format) {
  using socketchat::JsonSink;
  using socketchat::LogSink;
  if (format == "json") return std::make_shared<JsonSink>(std::cerr, JsonSink::Buffering::batch);
  return std::make_shared<LogSink>(std::cerr, LogSink::Buffering::batch);
}

// The URL a listener was given with, but naming the port it really got (for port 0).
std::string bound_url(const std::string& url, std::uint16_t port) {
  return url.substr(0, url.rfind(':') + 1) + std::to_string(port);
}

int check_config(const socketchatd::Settings& settings) {
  try {
    socketchat::Server server{socketchatd::server_options(settings)};  // validates, binds nothing
  } catch (const socketchat::config_error& e) {
    say(std::string(name) + ": " + e.what());
    return 2;
  }
  std::cout << "configuration OK\n";
  return 0;
}

// Parses the command line, the environment and the config file into `settings`.
// Returns an exit status when the process should end now (help, version, an error).
std::optional<int> parse(int argc, char** argv, socketchatd::Settings& settings) {
  CLI::App app{"socketchatd: a chat server speaking the socketchat line protocol", name};
  app.set_version_flag("--version", std::string(name) + " " + socketchat::version_string);
  socketchatd::add_settings(app, settings);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);  // prints help, version or the error
    bool checking = app.get_option("--check-config")->count() > 0;
    return status != 0 && checking ? 2 : status;
  }
  return std::nullopt;
}

// SIGHUP: reads the settings again, the same way as at start. What can change while
// running (limits, timeouts, log format) changes; on any error, nothing does.
void reload(int argc, char** argv, socketchat::Server& server, socketchatd::SwitchableSink& log,
            std::string& log_format) {
  socketchatd::Settings next;
  std::ostringstream errors;
  auto* saved = std::cerr.rdbuf(errors.rdbuf());  // CLI11 reports parse errors on stderr
  std::optional<int> status;
  try {
    status = parse(argc, argv, next);
  } catch (...) {
    std::cerr.rdbuf(saved);
    throw;
  }
  std::cerr.rdbuf(saved);
  if (status) {
    say(std::string("[ERROR] reload failed, keeping the current configuration: ") +
        errors.str().substr(0, errors.str().find('\n')));
    return;
  }
  try {
    auto pending = server.reconfigure(socketchatd::server_options(next));
    for (const auto& setting : pending) {
      say("[INFO] reload: " + setting + " changed; it takes effect at the next start");
    }
  } catch (const socketchat::config_error& e) {
    say(std::string("[ERROR] reload failed, keeping the current configuration: ") + e.what());
    return;
  }
  if (next.log_format != log_format) {
    log.switch_to(make_sink(next.log_format));
    log_format = next.log_format;
  }
  say("[INFO] reload: configuration applied");
}

// Serves until SIGINT or SIGTERM; SIGHUP reloads the configuration.
void serve_until_stopped(socketchat::ShutdownSignals& signals, int argc, char** argv,
                         socketchat::Server& server, socketchatd::SwitchableSink& log,
                         std::string log_format) {
  for (;;) {
    int signal = signals.wait();
    if (signal == SIGHUP) {
      reload(argc, argv, server, log, log_format);
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

  try {
    auto options = socketchatd::server_options(settings);
    socketchatd::open_history(settings, options);
    socketchat::Server server{options};
    // The log is written from a thread of its own, a batch of lines at a time, so that
    // logging never holds up an I/O thread. It blocks rather than drop lines when the
    // queue is full: a log with holes is worse than a brief stall.
    auto log = std::make_shared<socketchatd::SwitchableSink>(make_sink(settings.log_format));
    std::shared_ptr<socketchat::EventSink> sink =
        std::make_shared<socketchat::AsyncSink>(log, 1 << 16, socketchat::OverflowPolicy::block);
    if (!settings.log_messages) {
      sink = std::make_shared<socketchat::FilterSink>(sink, [](const socketchat::Event& e) {
        return e.kind != socketchat::EventKind::message &&
               e.kind != socketchat::EventKind::direct_message &&
               e.kind != socketchat::EventKind::room_message;
      });
    }
    server.add_sink(sink);
    server.start();
    for (std::size_t i = 0; i < options.listeners.size(); ++i) {
      say(std::string(name) + " " + socketchat::version_string + " listening on " +
          bound_url(options.listeners[i], server.port(i)));
    }
    serve_until_stopped(signals, argc, argv, server, *log, settings.log_format);
    server.stop();
  } catch (const std::exception& e) {  // config_error above all: a bad setting, a busy port
    say(std::string(name) + ": " + e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  socketchatd::Settings settings;
  if (auto status = parse(argc, argv, settings)) return *status;
  return settings.check_config ? check_config(settings) : serve(settings, argc, argv);
}
