#pragma once

// One thread, one epoll instance, many non-blocking TCP client connections. The
// load generator is this loop plus the scenarios' bookkeeping: no locks, no
// allocation per message on the hot path.

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
  std::size_t id() const noexcept { return id_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  bool is_connected() const noexcept { return connected_; }
  std::size_t pending_output() const noexcept { return out_.size() - out_sent_; }
  int fd() const noexcept { return fd_; }

 private:
  friend class EventLoop;
  Connection(std::size_t id, int fd, ConnectionHandler& handler)
      : id_(id), fd_(fd), handler_(&handler) {}

  std::size_t id_;
  int fd_;
  ConnectionHandler* handler_;
  bool connected_ = false;
  bool reading_ = true;
  std::uint32_t events_ = 0;  // what epoll watches now
  std::string partial_;       // an incomplete line carried to the next read
  std::string out_;           // bytes the socket has not taken yet
  std::size_t out_sent_ = 0;
};

class EventLoop {
 public:
  EventLoop();
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
  // Closes without telling the handler.
  void close(Connection& connection);

  // Waits up to timeout_ms for readiness and dispatches it; returns the event count.
  int run_once(int timeout_ms);

  std::size_t open_connections() const noexcept { return open_; }

 private:
  void on_event(Connection& connection, std::uint32_t events);
  void finish_connect(Connection& connection);
  void read_from(Connection& connection);
  void write_to(Connection& connection);
  void split_lines(Connection& connection, std::string_view bytes, Nanos now);
  void update_interest(Connection& connection);
  void fail(Connection& connection, std::string_view why);

  int epoll_fd_;
  std::size_t open_ = 0;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<char> read_buffer_;
};

}  // namespace bench
