#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "socketchat/authenticator.hpp"
#include "socketchat/event_sink.hpp"
#include "socketchat/local_user.hpp"
#include "socketchat/moderation.hpp"
#include "socketchat/options.hpp"

namespace asio {
class io_context;  // only for hosts that run the server on their own event loop
}

namespace socketchat {

class Protocol;   // protocol.hpp
class Transport;  // transport.hpp

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
  explicit Server(ServerOptions options);  // throws config_error; runs its own threads
  // Runs on the host's io_context instead: no threads of its own, every handler runs
  // on the threads that run `host`. The host keeps running it until stopped() after
  // a stop(), and destroys the Server before the io_context.
  Server(ServerOptions options, asio::io_context& host);
  ~Server();  // stops the server if it still runs
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Sinks see every event from the moment they are added; safe at any time.
  void add_sink(std::shared_ptr<EventSink> sink);

  // Every MSG, DM and SAY passes `filter` before delivery (see moderation.hpp). Set it
  // before start(); throws config_error afterwards.
  void set_message_filter(MessageFilter filter);

  // Listens with `transport` at every listener URL of `scheme` ("unix" for
  // "unix:///run/chat.sock"; see transport.hpp). Before start(); throws config_error
  // afterwards, or for a built-in or taken scheme.
  void add_transport(std::string scheme, std::shared_ptr<Transport> transport);
  // Makes `protocol` (see protocol.hpp) available as `name`: a listener speaks it when
  // its URL ends in "?protocol=<name>", and a WebSocket client when it asks for one of
  // its websocket_subprotocols(). Before start(); throws config_error afterwards, or
  // for a taken name ("line" and "irc" are built in).
  void add_protocol(std::string name, std::shared_ptr<const Protocol> protocol);
  // Checks what start() would, without binding anything: every listener URL names a
  // known transport and protocol. Throws config_error.
  void validate() const;
  // Every LOGIN is decided by `authenticator` (see authenticator.hpp); none (the
  // default): any valid name nobody else has. In-process users (connect()) are the
  // host's own and are not asked about. Set it before start(); throws config_error
  // afterwards.
  void set_authenticator(std::shared_ptr<Authenticator> authenticator);

  // Logs in an in-process user (see local_user.hpp) that `handler` speaks for; an
  // empty handler makes a user that only speaks. Call after start(); throws
  // config_error if the name is invalid or taken.
  std::shared_ptr<LocalUser> connect(std::string name, LocalUser::Handler handler);

  // Binds every listener and starts the I/O threads; throws config_error if an
  // address cannot be bound. Returns once the server accepts connections.
  void start();
  // start(), then block until stop() has finished. Not for a hosted server.
  void run();
  // Graceful stop: stop accepting, tell every client "INFO server shutting down",
  // flush their output (bounded by shutdown_timeout), close, end the threads.
  // Blocks until done, except when called on one of the server's own threads or
  // on a hosted server, where it only begins the stop (see stopped() and wait()).
  // Safe to call more than once and from any thread.
  void stop() noexcept;
  // Blocks until a stop has finished. On a hosted server, the host's threads must
  // be running meanwhile.
  void wait();
  bool stopped() const;

  // Applies new settings while running. At once, for open connections too: the
  // idle, login and shutdown timeouts, sendq_bytes, the rate limit, the connection
  // limits. For what comes next: handshake_timeout, websocket_allowed_origins and the
  // WebSocket size limits (new connections; an open WebSocket stays open),
  // send_buffer_bytes (new connections), the TLS certificate and key (re-read; new
  // connections), metrics_token (the next request), history_retention (prunes at once)
  // and history_prune_interval. Returns the names of the settings that differ but
  // need a restart, which keep their running value: listeners, threads,
  // max_line_bytes, history, history_store (none given: the running one is kept) and
  // history_memory_bytes. Throws config_error, changing nothing, if the new settings
  // are invalid.
  std::vector<std::string> reconfigure(const ServerOptions& options);

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
