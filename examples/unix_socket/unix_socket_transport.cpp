#include "unix_socket_transport.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include <asio/local/stream_protocol.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <socketchat/error.hpp>

namespace {

using asio::local::stream_protocol;
using socketchat::ConnectionExecutor;

// A connection's socket, made on the connection's strand (Acceptor::next_executor):
// its completions run there, where the server expects a Stream's handlers to run.
using Socket = stream_protocol::socket::rebind_executor<ConnectionExecutor>::other;

// One connection. The server owns it until every handler it was given has run, so the
// handlers may use `this`.
class UnixStream final : public socketchat::Stream {
 public:
  explicit UnixStream(Socket socket) : socket_(std::move(socket)) {}

  ConnectionExecutor get_executor() override { return socket_.get_executor(); }

  void read(Received received) override {
    socket_.async_read_some(asio::buffer(buffer_), [this, received = std::move(received)](
                                                       std::error_code error, std::size_t n) {
      received(error, std::string_view(buffer_.data(), n));  // eof: the client is done
    });
  }

  void write(std::span<const asio::const_buffer> bytes, Done done) override {
    // async_write, not write_some: all of the bytes, as the server expects.
    asio::async_write(socket_, bytes, [done = std::move(done)](std::error_code error, std::size_t) {
      done(error);
    });
  }

  void close() override {
    std::error_code ignored;
    socket_.close(ignored);  // the read and write in flight end with operation_aborted
  }

  // Nobody but this machine's users can reach the socket, and the kernel carries the
  // bytes: the server's accounts take passwords over it as over TLS.
  bool encrypted() const noexcept override { return true; }

 private:
  Socket socket_;
  std::array<char, 16 * 1024> buffer_;  // the bytes read() hands over, until the next read
};

// The accepting side. Its handlers hold it (shared_from_this), so it lives until the
// last of them has run, whenever the server lets go of the Listening. Everything it
// does runs on a strand: the server's context may be run by several threads (a hosted
// server), and stop() may come from any thread.
class UnixListener final : public std::enable_shared_from_this<UnixListener> {
 public:
  UnixListener(socketchat::Acceptor& server, std::string path)
      : server_(server),
        strand_(asio::make_strand(server.context())),
        acceptor_(strand_),
        retry_(strand_),
        path_(std::move(path)) {}

  // Throws config_error when the path cannot be bound.
  void bind() {
    try {
      stream_protocol::endpoint endpoint(path_);  // throws if too long for sun_path
      remove_stale_socket(endpoint);
      acceptor_.open();
      acceptor_.bind(endpoint);
      acceptor_.listen();
    } catch (const std::system_error& error) {
      throw socketchat::config_error("cannot listen on unix://" + path_ + ": " + error.what());
    }
    bound_ = true;
  }

  // From the thread that listens: the first accept runs on the strand like the others.
  void start() {
    asio::post(strand_, [self = shared_from_this()] { self->accept_next(); });
  }

  // From any thread. Clients that connect from now on find no file; the acceptor is
  // closed on its strand, after which the Acceptor is never called again.
  void stop() {
    if (bound_) {
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
    }
    asio::post(strand_, [self = shared_from_this()] {
      self->stopped_ = true;
      std::error_code ignored;
      self->acceptor_.close(ignored);  // a pending accept ends with operation_aborted
      self->retry_.cancel();
    });
  }

 private:
  // A socket file with nobody listening (a server that crashed) is removed; a live
  // one is another server's, and anything else is not ours to delete.
  void remove_stale_socket(const stream_protocol::endpoint& endpoint) {
    std::error_code ec;
    auto status = std::filesystem::symlink_status(path_, ec);
    if (ec || status.type() == std::filesystem::file_type::not_found) return;
    if (status.type() != std::filesystem::file_type::socket) {
      throw socketchat::config_error("cannot listen on unix://" + path_ +
                                     ": the file exists and is not a socket");
    }
    stream_protocol::socket probe(strand_);
    probe.connect(endpoint, ec);  // a live server sees a client that leaves at once
    if (!ec) {
      throw socketchat::config_error("cannot listen on unix://" + path_ +
                                     ": another server is listening there");
    }
    std::filesystem::remove(path_);  // stale: throws filesystem_error (a system_error)
  }

  void accept_next() {
    acceptor_.async_accept(server_.next_executor(),
                           [self = shared_from_this()](std::error_code error, Socket socket) {
                             self->on_accept(error, std::move(socket));
                           });
  }

  void on_accept(std::error_code error, Socket socket) {
    if (stopped_) return;  // the stop came first: the Acceptor is not to be called now
    if (error) {
      // Out of descriptors, say: report it, and try again shortly rather than spin.
      server_.accept_failed(error);
      retry_.expires_after(std::chrono::milliseconds{100});
      retry_.async_wait([self = shared_from_this()](std::error_code wait_error) {
        if (!wait_error && !self->stopped_) self->accept_next();
      });
      return;
    }
    // The peer of a Unix socket has no address of its own: the number of the
    // connection names it in the server's events and logs. With no address given it
    // counts against max_connections only, not against the per-address limit.
    server_.accept(std::make_unique<UnixStream>(std::move(socket)),
                   "unix:" + path_ + "#" + std::to_string(++accepted_));
    accept_next();
  }

  socketchat::Acceptor& server_;
  asio::strand<asio::io_context::executor_type> strand_;
  stream_protocol::acceptor acceptor_;
  asio::steady_timer retry_;
  std::string path_;
  bool bound_ = false;        // set before the listener is shared, read-only after
  bool stopped_ = false;      // on the strand
  std::size_t accepted_ = 0;  // on the strand
};

// What the server holds: stops the listener once, at the latest when let go of.
class UnixListening final : public socketchat::Listening {
 public:
  explicit UnixListening(std::shared_ptr<UnixListener> listener) : listener_(std::move(listener)) {}
  ~UnixListening() override { stop(); }

  void stop() override {
    if (!stop_requested_.exchange(true)) listener_->stop();
  }

 private:
  std::shared_ptr<UnixListener> listener_;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace

std::unique_ptr<socketchat::Listening> UnixSocketTransport::listen(std::string_view path,
                                                                   socketchat::Acceptor& acceptor) {
  if (path.empty())
    throw socketchat::config_error("unix:// needs a path, e.g. unix:///run/chat.sock");
  auto listener = std::make_shared<UnixListener>(acceptor, std::string(path));
  listener->bind();
  listener->start();
  return std::make_unique<UnixListening>(std::move(listener));
}
