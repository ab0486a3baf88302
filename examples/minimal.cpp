// The smallest useful socketchat server: listen, log to stderr, stop on Ctrl-C.
//
//   example_minimal [tcp://0.0.0.0:4000]
#include <iostream>
#include <memory>

#include <socketchat/log_sink.hpp>
#include <socketchat/server.hpp>
#include <socketchat/signals.hpp>

int main(int argc, char** argv) {
  // First, so the server's threads (started later) inherit the blocked SIGINT/SIGTERM.
  socketchat::ShutdownSignals signals;

  socketchat::ServerOptions options;
  options.listen(argc > 1 ? argv[1] : "tcp://0.0.0.0:4000");  // port 0 picks a free one
  socketchat::Server server{options};
  server.add_sink(std::make_shared<socketchat::LogSink>(std::cerr));  // [LOGIN] user=... lines

  server.start();  // throws socketchat::config_error if the address cannot be bound
  std::cout << "listening on port " << server.port() << std::endl;  // endl flushes

  signals.wait();  // until SIGINT or SIGTERM
  server.stop();   // graceful: clients hear "INFO server shutting down", output is flushed
  return 0;
}
