#include "support/line_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include <doctest/doctest.h>

namespace socketchat::test {

namespace {

// Reports at the test's own line (not this file's) and counts as an assertion, as
// CHECK_EQ / REQUIRE_EQ written there would. Both sides are escaped() text.
void check_at(bool fatal, const LineClient::Where& where, const char* what,
              const std::string& expected, const std::string& got) {
  namespace d = doctest::detail;
  d::binary_assert<d::binaryAssertComparison::eq>(
      fatal ? doctest::assertType::DT_REQUIRE_EQ : doctest::assertType::DT_CHECK_EQ,
      where.file_name(), static_cast<int>(where.line()), what, expected, got);
}

void fail_at(const LineClient::Where& where, const std::string& message) {
  ADD_FAIL_AT(where.file_name(), static_cast<int>(where.line()), message);
}

std::string system_error(const char* call) {
  return std::string(call) + ": " + std::strerror(errno);
}

int poll_ms(Clock::duration left) {
  auto ms = std::chrono::ceil<milliseconds>(left).count();
  return static_cast<int>(std::max<decltype(ms)>(ms, 0));
}

}  // namespace

LineClient::LineClient(std::uint16_t port, ClientOptions options, Where where) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    fail_at(where, system_error("socket"));
    return;
  }
  int one = 1;
  // Each send() leaves as it was written, so "split across writes" tests split.
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (options.receive_buffer > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer,
                 sizeof options.receive_buffer);
  }
  if (!options.local_address.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, options.local_address.c_str(), &local.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      fail_at(where, system_error("bind"));
      return;
    }
  }
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
    fail_at(where, system_error("connect"));
  }
}

LineClient::~LineClient() {
  close_socket();
}

LineClient::LineClient(LineClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      inbox_(std::move(other.inbox_)),
      eof_(other.eof_),
      reset_(other.reset_) {}

LineClient& LineClient::operator=(LineClient&& other) noexcept {
  if (this != &other) {
    close_socket();
    fd_ = std::exchange(other.fd_, -1);
    inbox_ = std::move(other.inbox_);
    eof_ = other.eof_;
    reset_ = other.reset_;
  }
  return *this;
}

void LineClient::close_socket() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void LineClient::send(std::string_view bytes, Where where) {
  const auto deadline = Clock::now() + default_wait;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return fail_at(where, system_error("send"));
    }
    // The server is not reading: wait, bounded, for room.
    pollfd pfd{fd_, POLLOUT, 0};
    if (::poll(&pfd, 1, poll_ms(deadline - Clock::now())) == 0 && Clock::now() >= deadline) {
      return fail_at(where, "send: the server stopped reading (" + std::to_string(bytes.size()) +
                                " bytes left)");
    }
  }
}

LineClient::Outcome LineClient::receive_line(milliseconds within, std::string& line) {
  const auto deadline = Clock::now() + within;
  for (;;) {
    if (auto lf = inbox_.find('\n'); lf != std::string::npos) {
      line = inbox_.substr(0, lf);
      inbox_.erase(0, lf + 1);
      return Outcome::line;
    }
    if (eof_) return Outcome::eof;
    if (reset_) return Outcome::reset;
    auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return Outcome::timeout;
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, poll_ms(left)) <= 0) continue;  // timeout or EINTR: the loop decides
    std::array<char, 64 * 1024> buffer;
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n > 0) {
      inbox_.append(buffer.data(), static_cast<std::size_t>(n));
    } else if (n == 0) {
      eof_ = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      reset_ = true;  // ECONNRESET, or any other way the connection died
    }
  }
}

std::optional<std::string> LineClient::read_line(milliseconds within) {
  std::string line;
  if (receive_line(within, line) == Outcome::line) return line;
  return std::nullopt;
}

void LineClient::expect_line(std::string_view expected, Where where) {
  std::string line;
  switch (receive_line(default_wait, line)) {
    case Outcome::line:
      check_at(false, where, "expected, received", escaped(expected), escaped(line));
      return;
    case Outcome::timeout:
      check_at(true, where, "expected, received", escaped(expected),
               "<no line within " + std::to_string(default_wait.count()) + " ms>");
      return;
    case Outcome::eof:
      check_at(true, where, "expected, received", escaped(expected),
               "<connection closed; unterminated bytes: \"" + escaped(inbox_) + "\">");
      return;
    case Outcome::reset:
      check_at(true, where, "expected, received", escaped(expected), "<connection reset>");
      return;
  }
}

void LineClient::expect_eof(milliseconds within, Where where) {
  std::string line;
  std::string got;
  switch (receive_line(within, line)) {
    case Outcome::line:
      got = "<line: " + escaped(line) + ">";
      break;
    case Outcome::timeout:
      got = "<still open>";
      break;
    case Outcome::reset:
      got = "<connection reset>";
      break;
    case Outcome::eof:
      got = inbox_.empty() ? "<EOF>" : "<EOF after unterminated bytes: " + escaped(inbox_) + ">";
      break;
  }
  check_at(true, where, "expected, received", "<EOF>", got);
}

void LineClient::expect_quiet(Where where) {
  static std::atomic<unsigned> counter{0};
  std::string token = "quiet-" + std::to_string(++counter);
  send("PING " + token + "\n", where);
  expect_line("PONG " + token, where);
}

void LineClient::reset() noexcept {
  if (fd_ < 0) return;
  linger abrupt{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abrupt, sizeof abrupt);
  close_socket();
}

void LineClient::shutdown_send() noexcept {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

LineClient logged_in(std::uint16_t port, std::string_view name, ClientOptions options,
                     LineClient::Where where) {
  LineClient client(port, std::move(options), where);
  client.send("LOGIN " + std::string(name) + "\n", where);
  client.expect_line("OK", where);
  return client;
}

std::vector<std::string> listing(LineClient& client, std::string_view request,
                                 LineClient::Where where) {
  client.send(std::string(request) + "\n", where);
  std::vector<std::string> lines;
  for (;;) {
    auto line = client.read_line();
    if (!line) {
      fail_at(where, "no END after \"" + escaped(request) + "\"; " + std::to_string(lines.size()) +
                         " lines before");
      return lines;  // not reached: the failure ends the test
    }
    if (*line == "END") return lines;
    lines.push_back(std::move(*line));
  }
}

std::string escaped(std::string_view bytes) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (byte >= 0x20 && byte < 0x7F) {
      out += c;
    } else {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    }
  }
  return out;
}

}  // namespace socketchat::test
