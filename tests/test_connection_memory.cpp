// A connection's memory goes back to what it was once a burst is over: a real server
// in this process, real WebSocket and TLS clients on loopback, and the heap in use
// (mallinfo2) measured with every client connected and idle, before and after each
// has sent or received something big.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#include <cstddef>
// The sanitizer runtime's count of the heap it hands out (GCC ships no header for it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/ssl.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <socketchat/server.hpp>

#include "support/self_signed_certificate.hpp"
#include "transport/tls13_records.hpp"

using namespace socketchat;

namespace {

constexpr std::size_t mib = 1024 * 1024;
// What one connection may still hold after its burst, over what it held before: far
// less than the burst (a megabyte), and more than malloc's own noise.
constexpr std::size_t kept_per_connection = 32 * 1024;

std::size_t heap_in_use() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return __sanitizer_get_current_allocated_bytes();  // the sanitizer's allocator, not malloc's
#else
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;  // in the arenas, and mapped on their own
#endif
}

// Connects `fd` to 127.0.0.1:port; false if it could not.
bool connect_loopback(int fd, std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

// ---- a raw WebSocket client: blocking POSIX socket, every read bounded ----

class WsClient {
 public:
  explicit WsClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    REQUIRE(connect_loopback(fd_, port));
    send_all(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) head += receive(1);
    REQUIRE(head.starts_with("HTTP/1.1 101 "));
  }
  ~WsClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // One masked text frame (the mask is zero: the payload goes as it is).
  void send_text(std::string_view payload) {
    std::string frame(1, '\x81');
    if (payload.size() < 126) {
      frame += static_cast<char>(0x80 | payload.size());
    } else if (payload.size() <= 0xFFFF) {
      frame += static_cast<char>(0x80 | 126);
      frame += static_cast<char>(payload.size() >> 8);
      frame += static_cast<char>(payload.size() & 0xFF);
    } else {
      frame += static_cast<char>(0x80 | 127);
      for (int i = 7; i >= 0; --i) frame += static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
    }
    frame.append(4, '\0');
    send_all(frame);
    send_all(payload);
  }

  // The payload of the next text frame.
  std::string text() {
    std::string header = receive(2);
    REQUIRE((header[0] & 0x0F) == 0x1);
    std::size_t size = static_cast<unsigned char>(header[1]) & 0x7F;
    if (size >= 126) {
      std::string extended = receive(size == 126 ? 2 : 8);
      size = 0;
      for (char c : extended) size = (size << 8) | static_cast<unsigned char>(c);
    }
    return receive(size);
  }

 private:
  void send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      REQUIRE(n > 0);
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  std::string receive(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t got = 0; got < size;) {
      ssize_t n = ::recv(fd_, bytes.data() + got, size - got, 0);
      REQUIRE(n > 0);  // not closed, not timed out
      got += static_cast<std::size_t>(n);
    }
    return bytes;
  }

  int fd_ = -1;
};

// The text of one ERR or PONG: the frames' payload up to its LF.
std::string line_of(WsClient& client) {
  std::string line = client.text();
  REQUIRE(line.ends_with('\n'));
  line.pop_back();
  return line;
}

// A TLS listener on a free port with `certificate`, no rate limit.
ServerOptions tls_server_options(const test::SelfSignedCertificate& certificate, unsigned threads) {
  ServerOptions options;
  options.listen("tls://127.0.0.1:0");
  options.tls_certificate_file = certificate.certificate.string();
  options.tls_private_key_file = certificate.key.string();
  options.threads = threads;
  options.rate_per_second = 0;
  return options;
}

// ---- a line-protocol client over TLS (Asio's OpenSSL stream, blocking) ----

class TlsClient {
 public:
  TlsClient(asio::io_context& io, asio::ssl::context& tls, std::uint16_t port) : stream_(io, tls) {
    stream_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    timeval timeout{5, 0};
    ::setsockopt(stream_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout,
                 sizeof timeout);
    stream_.handshake(asio::ssl::stream_base::client);
  }
  void send(const std::string& line) { asio::write(stream_, asio::buffer(line + "\n")); }
  std::string line() {
    std::string next = line_or_end();
    REQUIRE_FALSE(next.empty());
    return next;
  }
  // The next line, or "" once the server has closed.
  std::string line_or_end() {
    std::error_code ec;
    asio::read_until(stream_, in_, '\n', ec);
    if (ec) return {};
    std::string line(asio::buffers_begin(in_.data()),
                     asio::buffers_begin(in_.data()) + static_cast<std::ptrdiff_t>(in_.size()));
    line = line.substr(0, line.find('\n'));
    in_.consume(line.size() + 1);
    return line;
  }
  // Reads lines up to END; returns how many bytes they were.
  std::size_t lines_until_end() {
    std::size_t bytes = 0;
    for (std::string next = line(); next != "END"; next = line()) bytes += next.size() + 1;
    return bytes;
  }

 private:
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  asio::streambuf in_;
};

}  // namespace

TEST_CASE("WebSocket: after a 1 MiB message each, 40 idle connections hold what they did") {
  for (bool big_lines : {false, true}) {
    CAPTURE(big_lines);
    ServerOptions options;
    options.listen("ws://127.0.0.1:0/ws");
    options.threads = 2;
    options.history = false;
    options.rate_per_second = 0;
    if (big_lines) {  // the message is a PING the server answers with a 1 MiB PONG
      options.max_line_bytes = 2 * mib;
      options.sendq_bytes = 4 * mib;
    }  // else it is a line too long, refused
    Server server(options);
    server.start();

    std::vector<std::unique_ptr<WsClient>> clients;
    for (int i = 0; i < 40; ++i) {
      clients.push_back(std::make_unique<WsClient>(server.port()));
      clients.back()->send_text("PING ready\n");
      REQUIRE(line_of(*clients.back()) == "PONG ready");
    }
    const std::size_t before = heap_in_use();
    {
      const std::string token(mib - 5, 't');
      const std::string message = "PING " + token;  // 1 MiB, no LF: one line
      for (auto& client : clients) {
        client->send_text(message);
        if (big_lines) {
          REQUIRE(line_of(*client) == "PONG " + token);
        } else {
          REQUIRE(line_of(*client) == "ERR line-too-long");
        }
      }
    }
    for (auto& client : clients) {  // each connection is idle again
      client->send_text("PING done\n");
      REQUIRE(line_of(*client) == "PONG done");
    }
    const std::size_t after = heap_in_use();
    const std::size_t kept = after > before ? after - before : 0;
    MESSAGE("heap in use: ", before, " before, ", after, " after the bursts");
    CHECK(kept < clients.size() * kept_per_connection);
  }
}

TEST_CASE("TLS: after a big HISTORY each, 20 idle connections hold what they did") {
  test::SelfSignedCertificate certificate;
  Server server(tls_server_options(certificate, 2));
  server.start();

  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);
  // The room's history first: 300 messages of 1000 bytes, by a user alone in it.
  {
    TlsClient writer(io, tls, server.port());
    writer.send("LOGIN writer");
    REQUIRE(writer.line() == "OK");
    writer.send("JOIN big");
    REQUIRE(writer.line() == "OK");
    for (int j = 0; j < 300; ++j) writer.send("SAY big " + std::string(1000, 'h'));
    writer.send("QUIT");
    REQUIRE(writer.line_or_end() == "");  // closed: every SAY before the QUIT was taken
  }
  std::vector<std::unique_ptr<TlsClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<TlsClient>(io, tls, server.port()));
    auto& client = *clients.back();
    client.send("LOGIN user" + std::to_string(i));
    REQUIRE(client.line() == "OK");
    client.send("JOIN big");
    REQUIRE(client.line() == "OK");
  }
  for (auto& client : clients) {  // past the news of the others joining: idle
    client->send("PING idle");
    for (std::string line = client->line(); line != "PONG idle"; line = client->line()) {
      REQUIRE(line.starts_with("INFO user"));
    }
  }
  const std::size_t before = heap_in_use();
  std::size_t reply_bytes = 0;
  for (auto& client : clients) {
    client->send("HISTORY big 300");
    reply_bytes = client->lines_until_end();
  }
  for (auto& client : clients) {
    client->send("PING done");
    REQUIRE(client->line() == "PONG done");
  }
  const std::size_t after = heap_in_use();
  const std::size_t kept = after > before ? after - before : 0;
  MESSAGE("HISTORY of ", reply_bytes, " bytes; heap in use: ", before, " before, ", after,
          " after");
  REQUIRE(reply_bytes > 4 * kept_per_connection);  // a burst worth measuring
  CHECK(kept < clients.size() * kept_per_connection);
}

namespace {

// One byte through a pipe: a child process tells its parent, or the other way round.
void signal_pipe(int fd, char byte) {
  REQUIRE(::write(fd, &byte, 1) == 1);
}
char await_pipe(int fd) {
  char byte = 0;
  return ::read(fd, &byte, 1) == 1 ? byte : '\0';
}

// A client in a process of its own, so that its TLS state is not counted with the
// server's: forked before the server's threads exist, `body(from_parent, to_parent)`
// (which ends the process) talks with the test a byte at a time; the port comes first.
class ChildProcess {
 public:
  template <class Body>
  explicit ChildProcess(Body body) {
    REQUIRE(::pipe(to_child_) == 0);
    REQUIRE(::pipe(to_parent_) == 0);
    std::cout.flush();  // what is buffered is the parent's to write, not the child's too
    std::fflush(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      body(to_child_[0], to_parent_[1]);
      ::_exit(1);  // a body that returned: not what it should do
    }
    ::close(to_child_[0]);
    ::close(to_parent_[1]);
  }
  void send_port(std::uint16_t port) {
    REQUIRE(::write(to_child_[1], &port, sizeof port) == sizeof port);
  }
  void tell(char byte) { signal_pipe(to_child_[1], byte); }
  char hear() { return await_pipe(to_parent_[0]); }
  // Tells it to quit and waits for it: true if it exited with status 0.
  bool finish() {
    tell('q');
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    ::close(to_child_[1]);
    ::close(to_parent_[0]);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

 private:
  int to_child_[2];
  int to_parent_[2];
  pid_t pid_;
};

// In a child process, so that its own TLS state is not counted: `warm` connections,
// then `more`, each logged in and idle (its PING answered), telling the parent after
// each lot; exits when the parent says so.
[[noreturn]] void hold_tls_connections(int from_parent, int to_parent, int warm, int more) {
  std::uint16_t port = 0;
  if (::read(from_parent, &port, sizeof port) != sizeof port) ::_exit(2);
  bool ok = true;
  try {
    asio::io_context io;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_verify_mode(asio::ssl::verify_none);
    std::vector<std::unique_ptr<TlsClient>> clients;
    for (int lot : {warm, more}) {
      for (int i = 0; i < lot; ++i) {
        clients.push_back(std::make_unique<TlsClient>(io, tls, port));
        clients.back()->send("LOGIN user" + std::to_string(clients.size()));
        ok = ok && clients.back()->line_or_end() == "OK";
        clients.back()->send("PING idle");
        ok = ok && clients.back()->line_or_end() == "PONG idle";
      }
      signal_pipe(to_parent, ok ? 'y' : 'n');
      await_pipe(from_parent);
    }
  } catch (...) {
    ::_exit(3);
  }
  ::_exit(ok ? 0 : 1);
}

}  // namespace

TEST_CASE("TLS: an idle connection holds its keys, not buffers") {
  // Asio's SSL stream kept two 17 KiB buffers per connection and OpenSSL two more
  // (about 79 KiB in all); OpenSSL's connection alone, once its buffers were given back,
  // about 16 KiB. After a TLS 1.3 handshake the connection keeps the record layer's keys
  // (Tls13Records) and OpenSSL's is freed: about 1,730 bytes in all, 1,470-1,560 since
  // the session's diet of this issue (below).
  constexpr std::size_t bound_per_connection = 1650;
  constexpr int warm = 20;
  constexpr int measured = 200;
  ChildProcess child([&](int from_parent, int to_parent) {
    hold_tls_connections(from_parent, to_parent, warm, measured);
  });

  test::SelfSignedCertificate certificate;
  Server server(tls_server_options(certificate, 1));
  server.start();
  child.send_port(server.port());
  REQUIRE(child.hear() == 'y');  // the warm-up: per-thread buffers and the like
  const std::size_t before = heap_in_use();
  child.tell('g');
  REQUIRE(child.hear() == 'y');
  const std::size_t after = heap_in_use();
  CHECK(child.finish());
  const std::size_t per_connection = after > before ? (after - before) / measured : 0;
  MESSAGE("heap per idle TLS connection: ", per_connection, " bytes");
  CHECK(after > before);
  CHECK(per_connection <= bound_per_connection);
}

namespace {

// Reads from `fd` until `until` has come (after what `seen` holds); false at the end.
bool read_until(int fd, std::string& seen, std::string_view until) {
  char buffer[4096];
  while (seen.find(until) == std::string::npos) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    seen.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

// The exchange that makes a plain TCP client logged in and idle on `fd` (the `index`-th
// client): true if it went as it should.
using OpenClient = bool (*)(int fd, std::size_t index);

bool register_irc_client(int fd, std::size_t index) {
  const std::string nick = "user" + std::to_string(index);
  const std::string hello = "NICK " + nick + "\r\nUSER " + nick + " 0 * :A User\r\n";
  std::string seen;
  // Nothing after the welcome: what registration made must be gone without another line.
  return ::write(fd, hello.data(), hello.size()) == static_cast<ssize_t>(hello.size()) &&
         read_until(fd, seen, "&public :End of /NAMES list.\r\n");
}

bool log_in_line_client(int fd, std::size_t index) {
  const std::string login = "LOGIN user" + std::to_string(index) + "\n";
  std::string seen;
  return ::write(fd, login.data(), login.size()) == static_cast<ssize_t>(login.size()) &&
         read_until(fd, seen, "OK\n");
}

bool log_in_websocket_client(int fd, std::size_t index) {
  const std::string upgrade =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  // A masked text frame (a zero mask leaves the payload as it is).
  const std::string login = "LOGIN user" + std::to_string(index) + "\n";
  std::string frame{'\x81', static_cast<char>(0x80 | login.size()), 0, 0, 0, 0};
  frame += login;
  std::string seen;
  return ::write(fd, upgrade.data(), upgrade.size()) == static_cast<ssize_t>(upgrade.size()) &&
         read_until(fd, seen, "\r\n\r\n") &&
         ::write(fd, frame.data(), frame.size()) == static_cast<ssize_t>(frame.size()) &&
         read_until(fd, seen, "OK\n");
}

// In a child process: `warm` plain TCP clients, then `more`, each opened by `open`,
// telling the parent after each lot; exits when the parent says so.
[[noreturn]] void hold_plain_connections(int from_parent, int to_parent, int warm, int more,
                                         OpenClient open) {
  std::uint16_t port = 0;
  if (::read(from_parent, &port, sizeof port) != sizeof port) ::_exit(2);
  std::vector<int> sockets;
  bool ok = true;
  for (int lot : {warm, more}) {
    for (int i = 0; i < lot && ok; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(port);
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
           open(fd, sockets.size());
      sockets.push_back(fd);
    }
    signal_pipe(to_parent, ok ? 'y' : 'n');
    await_pipe(from_parent);
  }
  ::_exit(ok ? 0 : 1);
}

// The heap a server on `listen` (one thread) holds per idle connection, 200 of them
// opened by `open` in a child process, past 20 first (per-thread buffers and the like).
std::size_t heap_per_idle_connection(const std::string& listen, OpenClient open) {
  constexpr int warm = 20;
  constexpr int measured = 200;
  ChildProcess child([&](int from_parent, int to_parent) {
    hold_plain_connections(from_parent, to_parent, warm, measured, open);
  });
  ServerOptions options;
  options.listen(listen);
  options.threads = 1;
  options.rate_per_second = 0;
  Server server(options);
  server.start();
  child.send_port(server.port());
  REQUIRE(child.hear() == 'y');
  const std::size_t before = heap_in_use();
  child.tell('g');
  REQUIRE(child.hear() == 'y');
  const std::size_t after = heap_in_use();
  CHECK(child.finish());
  CHECK(after > before);
  return after > before ? (after - before) / measured : 0;
}

}  // namespace

// Measures what a server keeps per idle connection of one kind, and checks it is
// within `bound`.
static void check_heap_per_idle_connection(const std::string& kind, const std::string& listen,
                                           OpenClient open, std::size_t bound) {
  const std::size_t per_connection = heap_per_idle_connection(listen, open);
  MESSAGE("heap per idle ", kind, " connection: ", per_connection, " bytes");
  CHECK(per_connection <= bound);
}

TEST_CASE("TCP: an idle logged-in connection waits on no timer of its own") {
  // The session, its decoder, its name in the directory and its pending read, about
  // 970 bytes with the default idle timeout on (1,120 when its socket and pending read
  // each held an Asio strand, 24 bytes, not a pointer to it, the ConnectionTable a hash
  // map's node for it, its last write's batch a vector of its own and its decoder's
  // callbacks, its write turns and its deadline's place a pointer or a word in it; 1,170
  // when each session kept its
  // encoder's address and the time of its last read, now the thread's, and the
  // directory a copy of each name, lower-cased, where it now keeps the peer by its name): its
  // deadline is an entry in its io_context's Deadlines (1,730 bytes when each session had an Asio
  // timer and, while it waited, that timer's pending operation), its strand one its io_context's
  // StrandPool shares (about 100 bytes more when each connection had its own), its output queue's
  // lock one of the server's OutputLocks and its line framer a pointer between lines (1,310 bytes
  // with a mutex of its own, a framer's string and wider fields).
  check_heap_per_idle_connection("TCP", "tcp://127.0.0.1:0", log_in_line_client, 1020);
}

TEST_CASE("WebSocket: an open connection keeps nothing of its HTTP upgrade") {
  // The session, the WebSocket's framing state and the line decoder, about 1,060 bytes
  // once logged in (1,270 with the session's wider bookkeeping, above, and a string for
  // the message being reassembled in every decoder, now lent by the thread while a
  // message arrives, its pending read a pointer to the link that the session's
  // callback leads to anyway, and the decoder's flags and the close's bytes of their
  // own; 1,680 before the session's diet; 1,540 when the decoder's
  // fields were wider and each connection kept the frame headers and gather list of its
  // last write, now lent by the thread for each write): the upgrade's request
  // parser and response are dropped (2,630 bytes when they were kept, 2,390 with a
  // timer per session), the control frames' state is made only at the first ping or
  // close (150 bytes more when every connection had it), and so is the buffer of a
  // control frame's payload (110 bytes more when it was part of every decoder), and the
  // strand is shared (100 bytes more when it was not).
  check_heap_per_idle_connection("WebSocket", "ws://127.0.0.1:0", log_in_websocket_client, 1110);
}

TEST_CASE("IRC: an idle registered connection keeps nothing of its registration") {
  // The connection (session, IRC state, its name in the directory, its pending read)
  // once registered, about 1,115 bytes (1,270 with the session's wider bookkeeping,
  // above): its registration's state (PASS, SASL) is made
  // only for a PASS or SASL, and dropped at the first line after registration, and that
  // of WHO and LIST queries made only when one comes (2,300 bytes when both were part of
  // every connection, 2,040 with a timer per session, 1,750 with a strand of its own,
  // 1,650 before the session's diet, above; 1,590 when every registration made its
  // state and the command's words and USER's names were strings of their own; 1,360
  // when every connection carried an account's name, a guest's empty, and wider steps;
  // 1,285 when the registration's state, the queries' and the account's name were a
  // pointer each, not one box for the three).
  check_heap_per_idle_connection("IRC", "irc://127.0.0.1:0", register_irc_client, 1170);
}

namespace {

// In a child process: one TLS 1.3 connection that logs in, then sends `rounds` key
// updates (once the parent says so), each asking for the server's in return and
// followed by an empty line (which the server reads and ignores), then `MSG done`; it
// never reads. Tells the parent 'a' when all went out, 's' when a send timed out (the
// server stopped taking them); exits when told.
[[noreturn]] void flood_key_updates(int from_parent, int to_parent, int rounds) {
  std::uint16_t port = 0;
  if (::read(from_parent, &port, sizeof port) != sizeof port) ::_exit(2);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int small = 4096;  // the server's answers soon fill what the kernel holds for us
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  timeval timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (!connect_loopback(fd, port)) ::_exit(3);
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION);
  SSL* ssl = SSL_new(context);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) ::_exit(4);
  auto send = [&](std::string_view bytes) {
    return SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size())) > 0;
  };
  char answer[3] = {};
  if (!send("LOGIN flooder\n")) ::_exit(5);
  if (SSL_read(ssl, answer, 3) != 3 || std::string_view(answer, 3) != "OK\n") ::_exit(6);
  signal_pipe(to_parent, 'l');
  await_pipe(from_parent);
  bool all_sent = true;
  for (int round = 0; round < rounds && all_sent; ++round) {
    all_sent = SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) == 1 && send("\n");
  }
  all_sent = all_sent && send("MSG done\n");
  signal_pipe(to_parent, all_sent ? 'a' : 's');
  await_pipe(from_parent);
  ::_exit(0);  // no close_notify, no cleanup: the connection just goes
}

// Whether a plain TCP line client (logged in as `name`) receives `line` within `wait`.
class LineWatcher {
 public:
  // `receive_buffer` (bytes; 0: the kernel's default) is set before connecting, so a
  // small one keeps what the client does not read waiting in the server.
  LineWatcher(std::uint16_t port, const std::string& name, int receive_buffer = 0)
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    REQUIRE(connect_loopback(fd_, port));
    const std::string login = "LOGIN " + name + "\n";
    REQUIRE(::write(fd_, login.data(), login.size()) == static_cast<ssize_t>(login.size()));
    REQUIRE(sees("OK", std::chrono::seconds(5)));
  }
  ~LineWatcher() { ::close(fd_); }
  void send(std::string_view bytes) {
    REQUIRE(::write(fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  bool sees(std::string_view line, std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      for (std::size_t end; (end = in_.find('\n')) != std::string::npos;) {
        const bool found = std::string_view(in_).substr(0, end) == line;
        in_.erase(0, end + 1);
        if (found) return true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd readable{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) != 1)
        return false;
      char buffer[4096];
      ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) return false;
      in_.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::string in_;
};

}  // namespace

TEST_CASE("TLS: a client that asks for key updates and never reads cannot pile them up") {
  // Each key update asked for is answered with one of the server's (a 27-byte record);
  // the server stops reading while the socket does not take those answers, so they
  // cannot pile up beyond what one read brings (OpenSSL holds its record buffers
  // meanwhile: 34 KiB).
  constexpr int rounds = 10000;  // 270 KB of answers
  constexpr std::size_t bound = 64 * 1024;
  ChildProcess child(
      [&](int from_parent, int to_parent) { flood_key_updates(from_parent, to_parent, rounds); });

  test::SelfSignedCertificate certificate;
  ServerOptions options = tls_server_options(certificate, 1);
  options.listen("tcp://127.0.0.1:0");
  Server server(options);
  server.start();
  LineWatcher watcher(server.port(1), "watcher");
  child.send_port(server.port(0));
  REQUIRE(child.hear() == 'l');  // logged in
  const std::size_t before = heap_in_use();
  child.tell('g');
  const char flood = child.hear();
  REQUIRE((flood == 'a' || flood == 's'));
  // A server that reads it all gets to MSG done (and has its answers piled up by then);
  // one that stops reading never does, and nothing but the wait can tell that.
  const bool read_all = watcher.sees("MSG flooder done", std::chrono::seconds(2));
  const std::size_t after = heap_in_use();
  CHECK(child.finish());
  MESSAGE("the flood ", std::string(flood == 'a' ? "went out whole" : "was held up"),
          "; the server ", std::string(read_all ? "read it all" : "stopped reading"),
          "; its heap grew by ", after > before ? after - before : 0, " bytes");
  CHECK_FALSE(read_all);
  CHECK(after < before + bound);
}

namespace {

// KeyUpdate messages a TLS client has received (its message callback counts them).
int received_key_updates = 0;

void count_key_updates(int write_p, int /*version*/, int content_type, const void* buf,
                       std::size_t len, SSL* /*ssl*/, void* /*arg*/) {
  if (write_p == 0 && content_type == SSL3_RT_HANDSHAKE && len > 0 &&
      *static_cast<const unsigned char*>(buf) == SSL3_MT_KEY_UPDATE) {
    ++received_key_updates;
  }
}

}  // namespace

TEST_CASE("TLS 1.3: the server updates its key every key_update_after records, unasked") {
  // 2^23 records in production (a key's bounded use, RFC 8446 5.5); 50 here.
  const std::uint64_t production = socketchat::detail::Tls13Records::key_update_after();
  socketchat::detail::Tls13Records::key_update_after() = 50;  // before the server's threads exist
  struct Restore {
    std::uint64_t after;
    ~Restore() { socketchat::detail::Tls13Records::key_update_after() = after; }
  } restore{production};
  test::SelfSignedCertificate certificate;
  Server server(tls_server_options(certificate, 1));
  server.start();
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_3_VERSION);
  SSL_CTX_set_msg_callback(tls.native_handle(), count_key_updates);
  received_key_updates = 0;
  TlsClient client(io, tls, server.port());
  client.send("LOGIN alice");
  REQUIRE(client.line() == "OK");
  // A record per PONG (the client waits for each): 200 records, so 4 keys after the first.
  for (int i = 0; i < 200; ++i) {
    client.send("PING " + std::to_string(i));
    REQUIRE(client.line() == "PONG " + std::to_string(i));  // read under each new key
  }
  CHECK(received_key_updates >= 3);
  CHECK(received_key_updates <= 5);
}

TEST_CASE("TCP: after a burst queued for slow readers, idle connections hold what they did") {
  // A reader that does not keep up has its messages queued in the server, a pointer
  // each (the message itself is shared). Once it has read them all, the queue gives
  // its memory back, not only its messages: 20,000 queued are 160 KB of pointers, for
  // every such reader.
  constexpr int readers = 20;
  constexpr int burst = 20000;
  ServerOptions options;
  options.listen("tcp://127.0.0.1:0");
  options.threads = 1;
  options.history = false;
  options.rate_per_second = 0;
  options.sendq_bytes = 64 * mib;
  Server server(options);
  server.start();

  std::vector<std::unique_ptr<LineWatcher>> watchers;
  for (int i = 0; i < readers; ++i) {
    // A small receive buffer, so that the burst waits in the server, not in the kernel.
    watchers.push_back(
        std::make_unique<LineWatcher>(server.port(), "reader" + std::to_string(i), 4096));
  }
  LineWatcher sender(server.port(), "sender");
  const std::size_t before = heap_in_use();
  std::string lines;
  for (int i = 0; i < burst; ++i) lines += "MSG m" + std::to_string(i) + "\n";
  sender.send(lines + "PING sent\n");
  REQUIRE(sender.sees("PONG sent", std::chrono::seconds(10)));  // all of it read and fanned out
  const std::string last = "MSG sender m" + std::to_string(burst - 1);
  for (auto& reader : watchers) {
    REQUIRE(reader->sees(last, std::chrono::seconds(10)));
    reader->send("PING done\n");
    REQUIRE(reader->sees("PONG done", std::chrono::seconds(10)));  // idle, nothing left queued
  }
  const std::size_t after = heap_in_use();
  watchers.clear();
  const std::size_t kept = after > before ? after - before : 0;
  MESSAGE("heap in use: ", before, " before, ", after, " after the burst");
  CHECK(kept < readers * kept_per_connection);
}
