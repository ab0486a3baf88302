// A server with a transport of its own: local users chat over a Unix-domain socket,
// remote ones over TCP, all in the same chat (both listeners speak the line protocol).
//
//   example_unix_socket <socket-path> [tcp://127.0.0.1:0]
//
// Try it with `nc -U <socket-path>` beside `nc 127.0.0.1 <port>`.
#include <iostream>
#include <memory>
#include <string>

#include <socketchat/error.hpp>
#include <socketchat/log_sink.hpp>
#include <socketchat/server.hpp>
#include <socketchat/signals.hpp>

#include "unix_socket_transport.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: example_unix_socket <socket-path> [tcp-listener-url]\n";
    return 2;
  }
  socketchat::ShutdownSignals signals;  // first: the server's threads inherit the mask

  const std::string path = argv[1];
  socketchat::ServerOptions options;
  options.listen("unix://" + path);  // opened by the transport registered for "unix"
  options.listen(argc > 2 ? argv[2] : "tcp://127.0.0.1:0");
  socketchat::Server server{options};
  server.add_transport("unix", std::make_shared<UnixSocketTransport>());  // before start()
  server.add_sink(std::make_shared<socketchat::LogSink>(std::cerr));

  try {
    server.start();
  } catch (const socketchat::config_error& error) {  // the path or the port cannot be bound
    std::cerr << "example_unix_socket: " << error.what() << "\n";
    return 1;
  }
  std::cout << "listening on port " << server.port(1) << "\n"  // listener 1: the TCP one
            << "listening on unix://" << path << std::endl;

  signals.wait();
  server.stop();  // stops the transport's listener too, which removes the socket file
  return 0;
}
