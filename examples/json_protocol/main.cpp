// A server with a protocol of its own: JSON-lines users and line-protocol users in the
// same chat, each seeing the others' messages in their own protocol.
//
//   example_json_protocol [tcp://127.0.0.1:0?protocol=json] [tcp://127.0.0.1:0]
//
// Try it with `nc 127.0.0.1 <json port>` and {"type":"login","name":"alice"}.
#include <iostream>
#include <memory>

#include <socketchat/log_sink.hpp>
#include <socketchat/server.hpp>
#include <socketchat/signals.hpp>

#include "json_protocol.hpp"

int main(int argc, char** argv) {
  socketchat::ShutdownSignals signals;  // first: the server's threads inherit the mask

  socketchat::ServerOptions options;
  options.listen(argc > 1 ? argv[1] : "tcp://127.0.0.1:0?protocol=json");  // speaks "json"
  options.listen(argc > 2 ? argv[2] : "tcp://127.0.0.1:0");  // the built-in line protocol
  socketchat::Server server{options};
  // Before start(). The server's max_line_bytes is not passed to a protocol: give it.
  server.add_protocol("json", std::make_shared<JsonProtocol>(options.max_line_bytes));
  server.add_sink(std::make_shared<socketchat::LogSink>(std::cerr));

  server.start();
  std::cout << "listening on port " << server.port(1) << "\n"  // the line protocol's
            << "listening on port " << server.port(0) << " (json)" << std::endl;

  signals.wait();
  server.stop();  // JSON users hear {"type":"closing","reason":"shutting-down"}
  return 0;
}
