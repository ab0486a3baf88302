// A TLS link never touches its socket's descriptor once it has closed it. The number is
// free then, and the next connection accepted takes it; and a wait that completed just
// before the close still runs its handler after it (a slow reader dropped the moment its
// socket turned writable, a handshake timed out as its client's bytes came). That
// handler's step (the handshake's, a read, a write) must not read the new connection's
// bytes or write into it: its client would see records of another connection in its
// handshake.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl.hpp>
#include <asio/write.hpp>

#include "socketchat/payload.hpp"
#include "support/self_signed_certificate.hpp"
#include "transport/asio_types.hpp"
#include "transport/tls_context.hpp"
#include "transport/tls_link.hpp"

using namespace socketchat;
using namespace socketchat::detail;

namespace {

constexpr std::string_view neighbours_bytes = "the next connection's own bytes\n";

// The server's end of one loopback connection, as a TlsLink, and the client's end.
struct Connection {
  asio::io_context io;
  Strand strand{io.get_executor()};
  asio::ip::tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  asio::ip::tcp::socket client{io};
  std::optional<TlsLink> link;
  int number = -1;  // the server's descriptor

  explicit Connection(const test::SelfSignedCertificate& certificate) {
    client.connect(acceptor.local_endpoint());
    TcpSocket accepted{PooledStrand(strand)};
    acceptor.accept(accepted);
    accepted.non_blocking(true);
    number = accepted.native_handle();
    link.emplace(std::move(accepted),
                 make_tls_context(certificate.certificate.string(), certificate.key.string()));
  }
};

// What takes the closed link's descriptor number next: one end of a socket pair, put at
// that number (as accept() would give it), with bytes waiting to be read there.
class Neighbour {
 public:
  explicit Neighbour(int number) : number_(number) {
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends_.data()) == 0);
    REQUIRE(::dup2(ends_[0], number_) == number_);
    REQUIRE(::send(ends_[1], neighbours_bytes.data(), neighbours_bytes.size(), 0) ==
            static_cast<ssize_t>(neighbours_bytes.size()));
  }
  ~Neighbour() {
    ::close(number_);
    ::close(ends_[0]);
    ::close(ends_[1]);
  }

  // The bytes still waiting at the number: all of them if nobody read there.
  std::string waiting() const {
    std::array<char, 256> buffer;
    ssize_t n = ::recv(number_, buffer.data(), buffer.size(), MSG_PEEK | MSG_DONTWAIT);
    return n > 0 ? std::string(buffer.data(), static_cast<std::size_t>(n)) : std::string();
  }
  // How many bytes were written at the number, for the neighbour's peer to read.
  std::size_t written_to_it() const {
    std::array<char, 64 * 1024> buffer;
    ssize_t n = ::recv(ends_[1], buffer.data(), buffer.size(), MSG_DONTWAIT);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }

 private:
  int number_;
  std::array<int, 2> ends_{};
};

}  // namespace

TEST_CASE("a TLS link closed during its handshake leaves the next connection's socket alone") {
  test::SelfSignedCertificate certificate;
  Connection connection(certificate);
  TlsLink& link = *connection.link;
  std::optional<std::error_code> first_step;
  link.open([&](std::error_code ec) { first_step = ec; });
  CHECK_FALSE(first_step);  // waiting for the ClientHello

  link.close();  // e.g. the handshake timed out
  Neighbour neighbour(connection.number);
  // The wait for the ClientHello had completed before the close: its handler takes the
  // handshake's next step after it.
  std::optional<std::error_code> late_step;
  link.open([&](std::error_code ec) { late_step = ec; });
  REQUIRE(late_step);
  CHECK(*late_step);
  CHECK(neighbour.waiting() == neighbours_bytes);
  CHECK(neighbour.written_to_it() == 0);

  connection.io.run();  // the cancelled wait ends
  REQUIRE(first_step);
  CHECK(*first_step == asio::error::operation_aborted);
}

TEST_CASE("a TLS link closed after its handshake reads and writes nothing more") {
  test::SelfSignedCertificate certificate;
  Connection connection(certificate);
  TlsLink& link = *connection.link;

  asio::ssl::context client_tls(asio::ssl::context::tls_client);
  client_tls.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<asio::ip::tcp::socket&> client(connection.client, client_tls);
  std::error_code client_handshake;
  std::thread client_thread(
      [&] { client.handshake(asio::ssl::stream_base::client, client_handshake); });
  std::optional<std::error_code> opened;
  link.open([&](std::error_code ec) { opened = ec; });
  connection.io.run();
  client_thread.join();
  REQUIRE(opened);
  REQUIRE_FALSE(*opened);
  REQUIRE_FALSE(client_handshake);
  // A handshake whose last records had to wait for the socket takes one more step, which
  // only sends them (OpenSSL's connection is gone by then).
  std::optional<std::error_code> step_after_done;
  link.open([&](std::error_code ec) { step_after_done = ec; });
  REQUIRE(step_after_done);
  CHECK_FALSE(*step_after_done);
  asio::write(client, asio::buffer(std::string_view("a line for the closed link\n")));

  link.close();  // e.g. a slow reader dropped
  Neighbour neighbour(connection.number);

  SUBCASE("a read that had been ready") {
    std::optional<std::error_code> read_error;
    std::size_t read_bytes = 0;
    link.read(true, [&](std::error_code ec, std::string_view bytes, bool) {
      read_error = ec;
      read_bytes = bytes.size();
    });
    REQUIRE(read_error);
    CHECK(*read_error);
    CHECK(read_bytes == 0);
  }
  SUBCASE("a write whose socket had turned writable") {
    const std::array<Payload, 2> batch{Payload::copy_of("MSG alice a secret\n"),
                                       Payload::copy_of(std::string(40000, 'x'))};
    std::optional<std::error_code> written;
    link.write(std::span<const Payload>(batch), [&](std::error_code ec) { written = ec; });
    REQUIRE(written);
    CHECK(*written);
  }
  CHECK(neighbour.waiting() == neighbours_bytes);
  CHECK(neighbour.written_to_it() == 0);
}
