#pragma once

// A transport of one's own: how an embedder brings connections to the server over
// something other than the built-in TCP, TLS and WebSocket listeners (a Unix-domain
// socket, a pipe, an in-memory link). Register it with Server::add_transport for a
// URL scheme; every listener URL of that scheme is then opened by it, and its users
// speak the listener's protocol and chat with everyone else.
//
// Built on standalone Asio (header-only, as the server itself), so a transport can
// use Asio's sockets and run on the server's threads. examples/unix_socket shows one.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <asio/buffer.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>

namespace socketchat {

// Where every handler of one connection runs: a strand of one of the server's
// io_contexts. A stream's I/O objects are made on it, so its completions and the
// server's calls into it never run at once.
using ConnectionExecutor = asio::strand<asio::io_context::executor_type>;

// One connection's bytes. The server calls it only on its executor, with at most one
// read and one write in flight; the stream calls each handler exactly once, on the
// same executor (as Asio's own operations on I/O objects made on it do). The server
// keeps the stream alive until every handler it gave has been called (after close(),
// with an error).
class Stream {
 public:
  using Done = std::function<void(std::error_code)>;
  using Received = std::function<void(std::error_code, std::string_view bytes)>;

  virtual ~Stream() = default;

  virtual ConnectionExecutor get_executor() = 0;
  // The handshake, if the transport has one; `ready` with no error once the stream
  // carries the protocol's bytes. The handshake_timeout setting bounds it.
  virtual void open(Done ready) { ready({}); }
  // Reads whatever has arrived (not necessarily a whole line): `received` with the
  // bytes, valid until the next read; or with an error (asio::error::eof: the client
  // ended its input).
  virtual void read(Received received) = 0;
  // Writes all of `bytes`, in order; `done` once written or failed. The buffers stay
  // valid until `done` is called.
  virtual void write(std::span<const asio::const_buffer> bytes, Done done) = 0;
  // Closes at once; operations in flight end with an error.
  virtual void close() = 0;
  // True if nobody between the client and the server can read or alter what it carries
  // (TLS, a local socket): the server's accounts accept passwords over it from anywhere
  // (an Authenticator sees it as LoginRequest::encrypted).
  virtual bool encrypted() const noexcept { return false; }
};

// What the server offers a transport that listens: the threads to run on, and where
// to hand new connections.
class Acceptor {
 public:
  // An io_context of the server's, for the listening object itself.
  virtual asio::io_context& context() = 0;
  // The executor for the next connection's I/O objects: the server's threads in turn.
  virtual ConnectionExecutor next_executor() = 0;
  // A new connection. `remote` names the client in events and logs; `address` is what
  // the per-address connection limit counts (an IP address; anything else, or
  // nothing, is counted only against max_connections).
  virtual void accept(std::unique_ptr<Stream> stream, std::string remote,
                      std::string address = {}) = 0;
  // Accepting failed (out of descriptors, say): published as an "accept-failed" error
  // event. The transport decides whether and when to try again.
  virtual void accept_failed(std::error_code error) = 0;

 protected:
  ~Acceptor() = default;
};

// A transport listening at one address, until stopped. The server stops it before it
// ends, and destroys it once the server's threads are done (or, on a host's
// io_context, when the Server is destroyed: a host destroys it after stopped()).
class Listening {
 public:
  virtual ~Listening() = default;
  // Stops accepting; may be called from any thread. The Acceptor must not be called
  // once the stop has taken effect on context().
  virtual void stop() = 0;
  // The port, for a transport that has ports (Server::port); 0 otherwise.
  virtual std::uint16_t port() const { return 0; }
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Begins listening at `address`, what the listener URL has after "scheme://" (and
  // before any "?"), e.g. "/run/chat.sock" for "unix:///run/chat.sock". Throws
  // config_error if it cannot. Called on start(), once per listener URL.
  virtual std::unique_ptr<Listening> listen(std::string_view address, Acceptor& acceptor) = 0;
};

}  // namespace socketchat
