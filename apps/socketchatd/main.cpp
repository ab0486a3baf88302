// socketchatd: runs a socketchat Server in the foreground, logging to stderr.
#include <signal.h>  // POSIX: sigwait, pthread_sigmask

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include <socketchat/socketchat.hpp>

#include "settings.hpp"

namespace {

constexpr const char* name = "socketchatd";

// Lines of our own go out whole, in one write, so they never interleave with the
// sink's lines written from the server's threads.
void say(const std::string& line) {
  std::cerr << line + "\n";
}

std::shared_ptr<socketchat::EventSink> make_sink(const std::string& format) {
  if (format == "json") return std::make_shared<socketchat::JsonSink>(std::cerr);
  return std::make_shared<socketchat::LogSink>(std::cerr);
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

// Waits for SIGINT or SIGTERM; SIGHUP is reserved for reloading and is only logged.
void wait_for_stop(const sigset_t& signals) {
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      say("[INFO] SIGHUP: nothing to reload");
      continue;
    }
    say(std::string("[INFO] ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") + ": shutting down");
    return;
  }
}

int serve(const socketchatd::Settings& settings) {
  // Blocked before any server thread exists, so every thread inherits the mask and
  // the signals reach only sigwait() below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A closed stderr (say, journald restarting) must not kill the server mid-write.
  signal(SIGPIPE, SIG_IGN);

  try {
    auto options = socketchatd::server_options(settings);
    socketchat::Server server{options};
    server.add_sink(make_sink(settings.log_format));
    server.start();
    for (std::size_t i = 0; i < options.listeners.size(); ++i) {
      say(std::string(name) + " " + socketchat::version_string + " listening on " +
          bound_url(options.listeners[i], server.port(i)));
    }
    wait_for_stop(signals);
    server.stop();
  } catch (const std::exception& e) {  // config_error above all: a bad setting, a busy port
    say(std::string(name) + ": " + e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"socketchatd: a chat server speaking the socketchat line protocol", name};
  app.set_version_flag("--version", std::string(name) + " " + socketchat::version_string);
  socketchatd::Settings settings;
  socketchatd::add_settings(app, settings);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);  // prints help, version or the error
    bool checking = app.get_option("--check-config")->count() > 0;
    return status != 0 && checking ? 2 : status;
  }
  return settings.check_config ? check_config(settings) : serve(settings);
}
