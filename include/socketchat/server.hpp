#pragma once

#include <cstdint>
#include <memory>

#include "socketchat/event_sink.hpp"
#include "socketchat/options.hpp"

namespace socketchat {

// A chat server. Lifecycle: construct, add sinks, start() (or run()), stop().
//
//   socketchat::ServerOptions options;
//   options.listen("tcp://127.0.0.1:0");
//   socketchat::Server server{options};
//   server.start();                    // bound and serving when it returns
//   std::uint16_t port = server.port();
//   ...
//   server.stop();                     // graceful: clients are told and drained
class Server {
 public:
  explicit Server(ServerOptions options);  // throws config_error
  ~Server();                               // stops the server if it still runs
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Sinks see every event from the moment they are added; safe at any time.
  void add_sink(std::shared_ptr<EventSink> sink);

  // Binds every listener and starts the I/O threads; throws config_error if an
  // address cannot be bound. Returns once the server accepts connections.
  void start();
  // start(), then block until stop() has finished.
  void run();
  // Graceful stop: stop accepting, tell every client "INFO server shutting down",
  // flush their output (bounded by shutdown_timeout), close, end the threads.
  // Blocks until done, except when called on one of the server's own threads,
  // where it only begins the stop. Safe to call more than once and from any thread.
  void stop() noexcept;
  // Blocks until the server has stopped.
  void wait();

  // The port a listener is bound to (the real one when it was given as 0).
  std::uint16_t port(std::size_t listener = 0) const;

  // Counts, for health checks and tests.
  std::size_t connection_count() const;
  std::size_t user_count() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace socketchat
