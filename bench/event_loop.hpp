#pragma once

// One thread, one epoll instance, many non-blocking TCP client connections. The
// load generator is this loop plus the scenarios' bookkeeping: no locks, no
// allocation per message on the hot path. A connection may carry the line protocol
// inside TLS or WebSocket (transport.hpp): the loop still does the socket I/O, and the
// handlers see the same lines either way.

#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

using Nanos = std::int64_t;

// The steady clock in nanoseconds: what every timestamp in a message carries.
Nanos now_ns() noexcept;

struct Endpoint {
  in_addr address{};
  std::uint16_t port = 0;
};

// Parses a dotted IPv4 address; throws on anything else.
in_addr parse_ipv4(const std::string& text);

class Connection;
class Transport;
class TransportFactory;

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  virtual void on_connected(Connection& connection) = 0;
  // One complete line, without its LF (and CR). `now` is when its bytes were read.
  virtual void on_line(Connection& connection, std::string_view line, Nanos now) = 0;
  // The output buffer has just been written out completely.
  virtual void on_drained(Connection&) {}
  virtual void on_closed(Connection& connection, std::string_view why) = 0;
};

struct ConnectOptions {
  const in_addr* source = nullptr;  // bind here (port chosen at connect) before connecting
  int receive_buffer = 0;           // SO_RCVBUF before connecting; 0 = system default
};

class Connection {
 public:
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  std::size_t id() const noexcept { return id_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  // Connected and, over TLS or WebSocket, past the handshake: lines can flow.
  bool is_connected() const noexcept { return connected_; }
  // Bytes for the wire not yet taken by the socket (framed or encrypted, if so).
  std::size_t pending_output() const noexcept { return out_.size() - out_sent_; }
  int fd() const noexcept { return fd_; }

 private:
  friend class EventLoop;
  Connection(std::size_t id, int fd, ConnectionHandler& handler,
             std::unique_ptr<Transport> transport);

  std::size_t id_;
  int fd_;
  ConnectionHandler* handler_;
  std::unique_ptr<Transport> transport_;  // null: the line protocol straight on TCP
  bool tcp_connected_ = false;
  bool connected_ = false;  // the handler has heard on_connected
  bool reading_ = true;
  bool wants_drained_ = false;  // want_drained(): on_drained when writable
  std::uint32_t events_ = 0;    // what epoll watches now
  std::string partial_;         // an incomplete line carried to the next read
  std::string out_;             // bytes the socket has not taken yet
  std::size_t out_sent_ = 0;
  std::string early_;  // lines sent before the transport's handshake ended
};

class EventLoop {
 public:
  // Plain TCP connections.
  EventLoop();
  // Every connection over a transport made by `transport` (null: plain TCP).
  explicit EventLoop(std::unique_ptr<TransportFactory> transport);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts a non-blocking connect; the handler hears on_connected or on_closed.
  // Throws when the socket cannot even be created or bound (out of files, ports).
  Connection& connect(std::size_t id, const Endpoint& server, ConnectionHandler& handler,
                      const ConnectOptions& options = {});

  // Writes now as much as the socket takes; the rest waits for EPOLLOUT.
  void send(Connection& connection, std::string_view bytes);
  // Stops (or resumes) reading: the kernel's buffers fill and the server must queue.
  void set_reading(Connection& connection, bool reading);
  // The handler hears on_drained once the socket can take more, even with nothing
  // waiting to be written: a writer that stopped while the socket still had room
  // gets its next turn in a later round.
  void want_drained(Connection& connection);
  // Closes without telling the handler.
  void close(Connection& connection);

  // Waits up to timeout_ms for readiness and dispatches it; returns the event count.
  int run_once(int timeout_ms);

  std::size_t open_connections() const noexcept { return open_; }

 private:
  void on_event(Connection& connection, std::uint32_t events);
  void finish_connect(Connection& connection);
  void read_from(Connection& connection);
  void take_from_transport(Connection& connection, std::string_view bytes, Nanos now);
  void send_over_transport(Connection& connection, std::string_view lines);
  void write_to(Connection& connection);
  // Writes out_ until the socket is full; false when that failed (and closed it).
  bool write_pending(Connection& connection);
  void split_lines(Connection& connection, std::string_view bytes, Nanos now);
  void update_interest(Connection& connection);
  void fail(Connection& connection, std::string_view why);

  int epoll_fd_;
  std::size_t open_ = 0;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<char> read_buffer_;
  std::unique_ptr<TransportFactory> transport_;
  std::string text_;  // what a transport decoded from one read
};

}  // namespace bench
