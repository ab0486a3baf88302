// An embedder's own transport and protocol, through the public headers only, over
// real loopback sockets: registered for a URL scheme or a ?protocol= name, their users
// chat with line-protocol users; registration mistakes are config_errors.

#include <doctest/doctest.h>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>

#include <array>
#include <memory>
#include <string>

#include "socketchat/error.hpp"
#include "socketchat/protocol.hpp"
#include "socketchat/server.hpp"
#include "socketchat/transport.hpp"
#include "support/line_client.hpp"

using socketchat::test::LineClient;
namespace sc = socketchat;

namespace {

// ---- a transport: plain TCP again, but the embedder's own code ----

using Socket = asio::basic_stream_socket<asio::ip::tcp, sc::ConnectionExecutor>;

class TcpStream final : public sc::Stream {
 public:
  TcpStream(Socket socket, bool encrypted) : socket_(std::move(socket)), encrypted_(encrypted) {}
  sc::ConnectionExecutor get_executor() override { return socket_.get_executor(); }
  void read(Received received) override {
    socket_.async_read_some(asio::buffer(buffer_),
                            [this, received](std::error_code ec, std::size_t n) {
                              received(ec, {buffer_.data(), n});
                            });
  }
  void write(std::span<const asio::const_buffer> bytes, Done done) override {
    asio::async_write(socket_, bytes, [done](std::error_code ec, std::size_t) { done(ec); });
  }
  void close() override {
    std::error_code ignored;
    socket_.close(ignored);
  }
  bool encrypted() const noexcept override { return encrypted_; }

 private:
  Socket socket_;
  bool encrypted_;
  std::array<char, 4096> buffer_;
};

// How a transport presents its connections: whether they say they are encrypted, and
// the remote it names them by ("plain:<address>" unless given, as a proxy's transport
// would name its clients by their own addresses).
struct Presented {
  bool encrypted = false;
  std::string remote{};
};

class TcpListening final : public sc::Listening {
 public:
  TcpListening(sc::Acceptor& acceptor, Presented presented)
      : acceptor_(acceptor),
        presented_(std::move(presented)),
        listener_(acceptor.context(), {asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
  }
  void stop() override {
    asio::post(listener_.get_executor(), [this] { listener_.close(); });
  }
  std::uint16_t port() const override { return listener_.local_endpoint().port(); }

 private:
  void accept() {
    listener_.async_accept(acceptor_.next_executor(), [this](std::error_code ec, Socket socket) {
      if (ec == asio::error::operation_aborted || !listener_.is_open()) return;
      if (ec) return acceptor_.accept_failed(ec);
      std::string address = socket.remote_endpoint().address().to_string();
      std::string remote = presented_.remote.empty() ? "plain:" + address : presented_.remote;
      acceptor_.accept(std::make_unique<TcpStream>(std::move(socket), presented_.encrypted),
                       std::move(remote), address);
      accept();
    });
  }

  sc::Acceptor& acceptor_;
  Presented presented_;
  asio::ip::tcp::acceptor listener_;
};

class PlainTransport final : public sc::Transport {
 public:
  explicit PlainTransport(Presented presented = {}) : presented_(std::move(presented)) {}
  std::unique_ptr<sc::Listening> listen(std::string_view address, sc::Acceptor& acceptor) override {
    if (address != "loopback") throw sc::config_error("plain:// listens on plain://loopback only");
    return std::make_unique<TcpListening>(acceptor, presented_);
  }

 private:
  Presented presented_;
};

// ---- a protocol: "<verb> <rest>" lines in lower case, "<from>: <text>" out ----

class ShoutDecoder final : public sc::Decoder {
 public:
  explicit ShoutDecoder(const sc::Protocol& protocol) : protocol_(protocol) {}
  std::size_t feed(std::string_view bytes, sc::DecodeHandler& handler) override {
    std::size_t taken = 0;
    while (true) {
      std::size_t lf = bytes.find('\n', taken);
      if (lf == std::string_view::npos) break;
      line_.assign(bytes.substr(taken, lf - taken));
      handler.on_line();
      std::string_view line = line_, verb = line.substr(0, line.find(' '));
      std::string_view rest = verb.size() < line.size() ? line.substr(verb.size() + 1) : "";
      sc::Command command{.verb = sc::Verb::unknown, .name = {}, .text = {}};
      if (verb == "iam") command = {.verb = sc::Verb::login, .name = rest};
      if (verb == "shout") command = {.verb = sc::Verb::msg, .text = rest};
      sc::Flow flow = handler.on_command(command).flow;
      if (flow == sc::Flow::retry) break;
      taken = lf + 1;
      if (flow == sc::Flow::stop) break;
    }
    return taken;  // a partial line is fed again with what follows it
  }
  const sc::Protocol& encoder() const noexcept override { return protocol_; }

 private:
  const sc::Protocol& protocol_;
  std::string line_;  // the command's views point here while it is handled
};

class ShoutProtocol final : public sc::Protocol {
 public:
  std::unique_ptr<sc::Decoder> make_decoder() const override {
    return std::make_unique<ShoutDecoder>(*this);
  }
  sc::Payload encode(const sc::ServerMessage& m) const override {
    switch (m.notice) {
      case sc::Notice::ok:
        return sc::Payload::copy_of("fine\n");
      case sc::Notice::error:
        return sc::Payload::copy_of("no: " + std::string(sc::code_of(m.error)) + "\n");
      case sc::Notice::message:
      case sc::Notice::direct_message:
        return sc::Payload::copy_of(std::string(m.user) + ": " + std::string(m.text) + "\n");
      default:
        return {};
    }
  }
};

sc::ServerOptions loopback(std::string url) {
  sc::ServerOptions options;
  options.listen(std::move(url));
  options.listen("tcp://127.0.0.1:0");
  return options;
}

}  // namespace

TEST_CASE("a registered protocol, chosen by ?protocol=, chats with line users") {
  sc::Server server(loopback("tcp://127.0.0.1:0?protocol=shout"));
  server.add_protocol("shout", std::make_shared<ShoutProtocol>());
  server.start();
  LineClient shouter(server.port(0)), line(server.port(1));
  shouter.send("iam sam\n");
  shouter.expect_line("fine");
  line.send("LOGIN lina\n");
  line.expect_line("OK");
  shouter.send("shout hello\n");
  line.expect_line("MSG sam hello");
  line.send("MSG hi sam\n");
  shouter.expect_line("lina: hi sam");
  shouter.send("iam sam\n");  // refused in its own words
  shouter.expect_line("no: already-logged-in");
  shouter.send("nonsense\n");
  shouter.expect_line("no: unknown-command");
  server.stop();
}

TEST_CASE("a registered transport: its users chat with everyone, and the limits apply") {
  auto options = loopback("plain://loopback");
  options.max_connections = 2;
  sc::Server server(options);
  server.add_transport("plain", std::make_shared<PlainTransport>());
  server.start();
  REQUIRE(server.port(0) != 0);
  LineClient over_plain(server.port(0)), line(server.port(1));
  over_plain.send("LOGIN pat\n");
  over_plain.expect_line("OK");
  line.send("LOGIN lina\n");
  line.expect_line("OK");
  over_plain.send("DM lina via my transport\n");
  line.expect_line("DM pat via my transport");
  line.send("MSG back\n");
  over_plain.expect_line("MSG lina back");
  LineClient third(server.port(0));  // max_connections: refused in the protocol's words
  third.expect_line("ERR server-full");
  third.expect_eof();
  server.stop();
  over_plain.expect_line("INFO server shutting down");
}

TEST_CASE("a registered transport says whether its streams are encrypted; passwords follow") {
  // Both name their clients by an address outside loopback (203.0.113.7, a proxy's
  // client): only the one whose streams say they are encrypted is given passwords.
  sc::ServerOptions options;
  options.listen("plain://loopback");
  options.listen("sealed://loopback");
  sc::Server server(options);
  server.add_transport("plain", std::make_shared<PlainTransport>(
                                    Presented{.encrypted = false, .remote = "203.0.113.7:5000"}));
  server.add_transport("sealed", std::make_shared<PlainTransport>(
                                     Presented{.encrypted = true, .remote = "203.0.113.7:5001"}));
  server.start();
  LineClient plain(server.port(0)), sealed(server.port(1));
  plain.send("REGISTER pat pat-password\n");
  plain.expect_line("ERR tls-required");
  sealed.send("REGISTER pat pat-password\n");
  sealed.expect_line("OK");
  plain.send("LOGIN pat pat-password\n");
  plain.expect_line("ERR tls-required");
  plain.send("LOGIN guest\n");  // no password: a guest is welcome over anything
  plain.expect_line("OK");
  server.stop();
}

TEST_CASE("the line protocol's listeners can speak IRC: tcp://...?protocol=irc") {
  sc::ServerOptions options = loopback("tcp://127.0.0.1:0?protocol=irc");
  options.server_name = "irc.example.org";
  sc::Server server(options);
  server.start();
  LineClient irc(server.port(0));
  irc.send("NICK ian\r\nUSER ian 0 * :Ian\r\n");
  irc.expect_line(
      ":irc.example.org 001 ian :Welcome to the socketchat IRC Network ian!~ian@irc.example.org\r");
  server.stop();
}

TEST_CASE("registration mistakes are config errors") {
  sc::Server server(loopback("tcp://127.0.0.1:0"));
  CHECK_THROWS_AS(server.add_transport("tcp", std::make_shared<PlainTransport>()),
                  sc::config_error);  // built in
  CHECK_THROWS_AS(server.add_transport("no scheme", std::make_shared<PlainTransport>()),
                  sc::config_error);
  CHECK_THROWS_AS(server.add_transport("plain", nullptr), sc::config_error);
  CHECK_THROWS_AS(server.add_protocol("irc", std::make_shared<ShoutProtocol>()), sc::config_error);
  server.add_protocol("shout", std::make_shared<ShoutProtocol>());
  CHECK_THROWS_AS(server.add_protocol("SHOUT", std::make_shared<ShoutProtocol>()),
                  sc::config_error);  // names are not case-sensitive

  sc::Server unknown_scheme(loopback("plain://loopback"));
  CHECK_THROWS_WITH_AS(unknown_scheme.validate(), doctest::Contains("plain://loopback"),
                       sc::config_error);
  CHECK_THROWS_AS(unknown_scheme.start(), sc::config_error);
  sc::Server unknown_protocol(loopback("tcp://127.0.0.1:0?protocol=json"));
  CHECK_THROWS_WITH_AS(unknown_protocol.validate(),
                       doctest::Contains("no protocol is named 'json'"), sc::config_error);
  CHECK_THROWS_AS(sc::Server(loopback("tcp://127.0.0.1:0?format=json")), sc::config_error);
  CHECK_THROWS_AS(sc::Server(loopback("no-scheme-here")), sc::config_error);

  server.start();
  CHECK_THROWS_AS(server.add_transport("plain", std::make_shared<PlainTransport>()),
                  sc::config_error);
  CHECK_THROWS_AS(server.add_protocol("late", std::make_shared<ShoutProtocol>()), sc::config_error);
  server.stop();
}
