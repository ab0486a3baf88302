#include "event_loop.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "failure.hpp"
#include "transport.hpp"

namespace bench {

namespace {

// Big reads: a receiver behind by many messages catches up in few system calls.
constexpr std::size_t read_chunk = 256 * 1024;
constexpr int max_events = 512;

std::string errno_text(int error) {
  return std::strerror(error);
}

}  // namespace

Nanos now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // what std::chrono::steady_clock reads on Linux
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

in_addr parse_ipv4(const std::string& text) {
  in_addr address{};
  if (inet_pton(AF_INET, text.c_str(), &address) != 1) {
    throw Failure(exit_setup, fmt::format("not an IPv4 address: {}", text));
  }
  return address;
}

Connection::Connection(std::size_t id, int fd, ConnectionHandler& handler,
                       std::unique_ptr<Transport> transport)
    : id_(id), fd_(fd), handler_(&handler), transport_(std::move(transport)) {}

Connection::~Connection() = default;

EventLoop::EventLoop() : EventLoop(nullptr) {}

EventLoop::EventLoop(std::unique_ptr<TransportFactory> transport)
    : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      read_buffer_(read_chunk),
      transport_(std::move(transport)) {
  if (epoll_fd_ < 0) throw Failure(exit_setup, "epoll_create1: " + errno_text(errno));
}

EventLoop::~EventLoop() {
  for (auto& connection : connections_) {
    if (connection->fd_ >= 0) ::close(connection->fd_);
  }
  ::close(epoll_fd_);
}

Connection& EventLoop::connect(std::size_t id, const Endpoint& server, ConnectionHandler& handler,
                               const ConnectOptions& options) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw Failure(exit_setup, "socket: " + errno_text(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (options.receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer, sizeof options.receive_buffer);
  }
  if (options.source != nullptr) {
    // The port is picked at connect(), per destination: one source address then
    // serves as many connections as the ephemeral range holds.
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr = *options.source;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      int error = errno;
      ::close(fd);
      throw Failure(exit_setup, "bind: " + errno_text(error));
    }
  }
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_addr = server.address;
  remote.sin_port = htons(server.port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
      errno != EINPROGRESS) {
    int error = errno;
    ::close(fd);
    throw Failure(exit_setup, "connect: " + errno_text(error));
  }
  std::unique_ptr<Transport> transport;
  try {
    if (transport_) transport = transport_->make();
  } catch (...) {
    ::close(fd);
    throw;
  }
  connections_.push_back(
      std::unique_ptr<Connection>(new Connection(id, fd, handler, std::move(transport))));
  Connection& connection = *connections_.back();
  ++open_;
  update_interest(connection);
  return connection;
}

void EventLoop::send(Connection& connection, std::string_view bytes) {
  if (!connection.is_open() || bytes.empty()) return;
  if (connection.transport_) return send_over_transport(connection, bytes);
  if (connection.pending_output() == 0 && connection.connected_) {
    ssize_t n = ::send(connection.fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return fail(connection, "send: " + errno_text(errno));
    }
    if (n > 0) bytes.remove_prefix(static_cast<std::size_t>(n));
    if (bytes.empty()) return;
  }
  if (connection.out_sent_ == connection.out_.size()) {
    connection.out_.clear();
    connection.out_sent_ = 0;
  }
  connection.out_.append(bytes);
  update_interest(connection);
}

void EventLoop::set_reading(Connection& connection, bool reading) {
  if (!connection.is_open()) return;
  connection.reading_ = reading;
  update_interest(connection);
}

void EventLoop::want_drained(Connection& connection) {
  if (!connection.is_open()) return;
  connection.wants_drained_ = true;
  update_interest(connection);
}

void EventLoop::close(Connection& connection) {
  if (!connection.is_open()) return;
  ::close(connection.fd_);  // also leaves the epoll set
  connection.fd_ = -1;
  --open_;
}

void EventLoop::fail(Connection& connection, std::string_view why) {
  if (!connection.is_open()) return;
  close(connection);
  connection.handler_->on_closed(connection, why);
}

// As send() does on plain TCP: written at once if nothing waits ahead of it, but
// framed or encrypted first (and held back until the handshake is done).
void EventLoop::send_over_transport(Connection& connection, std::string_view lines) {
  if (!connection.connected_) {
    connection.early_.append(lines);
    return;
  }
  bool idle = connection.pending_output() == 0;
  if (idle) {
    connection.out_.clear();
    connection.out_sent_ = 0;
  }
  connection.transport_->encode(lines, connection.out_);
  if (idle && !write_pending(connection)) return;
  update_interest(connection);
}

int EventLoop::run_once(int timeout_ms) {
  std::array<epoll_event, max_events> events{};
  int n = epoll_wait(epoll_fd_, events.data(), max_events, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return 0;
    throw Failure(exit_setup, "epoll_wait: " + errno_text(errno));
  }
  for (int i = 0; i < n; ++i) {
    on_event(*static_cast<Connection*>(events[i].data.ptr), events[i].events);
  }
  return n;
}

void EventLoop::on_event(Connection& connection, std::uint32_t events) {
  if (!connection.is_open()) return;
  if (!connection.tcp_connected_) return finish_connect(connection);
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_from(connection);
  if (connection.is_open() && (events & EPOLLOUT)) write_to(connection);
}

void EventLoop::finish_connect(Connection& connection) {
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(connection.fd_, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) return fail(connection, "connect: " + errno_text(error));
  connection.tcp_connected_ = true;
  if (connection.transport_) {
    // The handler hears on_connected once the handshake is done (take_from_transport).
    connection.transport_->start(connection.out_);
    if (write_pending(connection)) update_interest(connection);
    return;
  }
  connection.connected_ = true;
  update_interest(connection);
  connection.handler_->on_connected(connection);
  if (connection.is_open() && connection.pending_output() > 0) write_to(connection);
}

// One read per readiness: a busy connection cannot starve the others, and the
// level-triggered epoll reports it again if more is waiting.
void EventLoop::read_from(Connection& connection) {
  ssize_t n = ::read(connection.fd_, read_buffer_.data(), read_buffer_.size());
  if (n > 0) {
    std::string_view bytes(read_buffer_.data(), static_cast<std::size_t>(n));
    if (connection.transport_) return take_from_transport(connection, bytes, now_ns());
    return split_lines(connection, bytes, now_ns());
  }
  if (n == 0) return fail(connection, "closed by the server");
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
  fail(connection, "read: " + errno_text(errno));
}

void EventLoop::take_from_transport(Connection& connection, std::string_view bytes, Nanos now) {
  Transport& transport = *connection.transport_;
  if (connection.pending_output() == 0) {
    connection.out_.clear();
    connection.out_sent_ = 0;
  }
  text_.clear();
  std::string error = transport.decode(bytes, text_, connection.out_);
  // What the transport answered itself (handshake, pong) goes out now.
  if (connection.pending_output() > 0) {
    write_to(connection);
    if (!connection.is_open()) return;
  }
  if (!connection.connected_ && transport.ready()) {
    connection.connected_ = true;
    update_interest(connection);
    connection.handler_->on_connected(connection);
    if (!connection.is_open()) return;
    if (!connection.early_.empty()) {
      std::string early = std::move(connection.early_);
      connection.early_.clear();
      send_over_transport(connection, early);
      if (!connection.is_open()) return;
    }
  }
  // Lines that came before a close or an error are still delivered.
  if (!text_.empty()) split_lines(connection, text_, now);
  if (!error.empty()) fail(connection, error);
}

void EventLoop::split_lines(Connection& connection, std::string_view bytes, Nanos now) {
  auto deliver = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    connection.handler_->on_line(connection, line, now);
  };
  if (!connection.partial_.empty()) {
    auto end = bytes.find('\n');
    if (end == std::string_view::npos) {
      connection.partial_.append(bytes);
      return;
    }
    connection.partial_.append(bytes.substr(0, end));
    std::string line = std::move(connection.partial_);
    connection.partial_.clear();
    deliver(line);
    bytes.remove_prefix(end + 1);
  }
  while (connection.is_open()) {
    auto end = bytes.find('\n');
    if (end == std::string_view::npos) {
      connection.partial_.assign(bytes);
      return;
    }
    deliver(bytes.substr(0, end));
    bytes.remove_prefix(end + 1);
  }
}

bool EventLoop::write_pending(Connection& connection) {
  while (connection.pending_output() > 0) {
    ssize_t n = ::send(connection.fd_, connection.out_.data() + connection.out_sent_,
                       connection.pending_output(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      fail(connection, "send: " + errno_text(errno));
      return false;
    }
    connection.out_sent_ += static_cast<std::size_t>(n);
  }
  return true;
}

void EventLoop::write_to(Connection& connection) {
  if (!write_pending(connection)) return;
  if (connection.pending_output() > 0) {
    // Keep the buffer from growing without bound while the socket is slow.
    if (connection.out_sent_ > connection.out_.size() / 2) {
      connection.out_.erase(0, connection.out_sent_);
      connection.out_sent_ = 0;
    }
    return update_interest(connection);
  }
  connection.out_.clear();
  connection.out_sent_ = 0;
  connection.wants_drained_ = false;
  connection.handler_->on_drained(connection);
  if (connection.is_open()) update_interest(connection);
}

// A connection that wants nothing (a paused reader with no output) leaves the epoll
// set: a hang-up would otherwise be reported to it again and again.
void EventLoop::update_interest(Connection& connection) {
  std::uint32_t wanted = 0;
  if (!connection.tcp_connected_) {
    wanted = EPOLLOUT;
  } else {
    // A handshake is read through even when the handler has paused reading.
    if (connection.reading_ || !connection.connected_) wanted |= EPOLLIN;
    if (connection.pending_output() > 0 || connection.wants_drained_) wanted |= EPOLLOUT;
  }
  if (wanted == connection.events_) return;
  epoll_event event{};
  event.events = wanted;
  event.data.ptr = &connection;
  int op = wanted == 0 ? EPOLL_CTL_DEL : connection.events_ == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (epoll_ctl(epoll_fd_, op, connection.fd_, &event) != 0) {
    throw Failure(exit_setup, "epoll_ctl: " + errno_text(errno));
  }
  connection.events_ = wanted;
}

}  // namespace bench
