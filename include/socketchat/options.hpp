#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace socketchat {

// Every limit of the protocol, with its default. A value of 0 means "unlimited" or
// "off" where the comment says so. validate() throws config_error for nonsense.
struct ServerOptions {
  // Listening endpoints as URLs: "tcp://host:port". Port 0 picks a free port
  // (Server::port() tells which). Empty: tcp://0.0.0.0:4000.
  std::vector<std::string> listeners;

  std::chrono::milliseconds idle_timeout{std::chrono::seconds{60}};   // 0 = off
  std::chrono::milliseconds login_timeout{std::chrono::seconds{30}};  // 0 = off
  // How long a graceful stop waits for each client's queued output to drain.
  std::chrono::milliseconds shutdown_timeout{std::chrono::seconds{5}};

  std::size_t max_line_bytes = 4096;     // a line's bytes, without the LF (and CR)
  std::size_t sendq_bytes = 1 << 20;     // output queued for one client; 0 = unlimited
  double rate_per_second = 20;           // commands per connection per second; 0 = off
  double rate_burst = 40;                // commands allowed in one burst
  std::size_t max_connections = 10000;   // whole server; 0 = unlimited
  std::size_t max_connections_per_ip = 0;  // 0 = off

  unsigned threads = 0;  // I/O threads the server runs; 0 = one per core

  // Adds a listener, e.g. options.listen("tcp://127.0.0.1:0").
  ServerOptions& listen(std::string url);

  // Throws config_error naming the first setting that makes no sense.
  void validate() const;
};

}  // namespace socketchat
