#include "support/running_server.hpp"

#include <chrono>
#include <utility>

namespace socketchat::test {

ServerOptions loopback_options() {
  ServerOptions options;
  options.listen("tcp://127.0.0.1:0");
  options.rate_per_second = 0;
  options.threads = 2;
  options.shutdown_timeout = std::chrono::milliseconds{500};
  return options;
}

RunningServer::RunningServer(ServerOptions options) : server(std::move(options)) {
  server.start();
  port = server.port();
}

}  // namespace socketchat::test
