#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <asio/ssl/error.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>

#include "socketchat/payload.hpp"
#include "transport/asio_types.hpp"
#include "transport/no_control_frames.hpp"
#include "util/buffer_release.hpp"

namespace socketchat::detail {

// The bytes of one connection over TLS (see TcpLink for the members every link has).
// A TLS connection needs a read buffer of its own (OpenSSL keeps partial records),
// made when the handshake is done; a write coalesces the batch into one buffer, so it
// becomes as few TLS records as possible (given back once written if a big batch made it
// grow past kept_buffer_bytes).
class TlsLink : public NoControlFrames {
 public:
  static constexpr const char* transport = "tls";
  std::string_view transport_name() const noexcept { return transport; }
  static constexpr bool encrypted() noexcept { return true; }
  static constexpr std::size_t read_chunk = 16 * 1024;

  TlsLink(TcpSocket socket, std::shared_ptr<asio::ssl::context> context)
      : context_(std::move(context)), stream_(std::move(socket), *context_) {}

  TcpSocket& socket() noexcept { return stream_.next_layer(); }
  Executor get_executor() { return stream_.next_layer().get_executor(); }

  template <class Ready>
  void open(Ready&& ready) {
    stream_.async_handshake(
        asio::ssl::stream_base::server,
        [ready = std::forward<Ready>(ready)](std::error_code ec) mutable { ready(ec); });
  }

  template <class OnInput>
  void read(bool /*speculative*/, OnInput&& on_input) {
    if (!buffer_) buffer_ = std::make_unique<std::array<char, read_chunk>>();
    stream_.async_read_some(asio::buffer(*buffer_),
                            [this, on_input = std::forward<OnInput>(on_input)](
                                std::error_code ec, std::size_t n) mutable {
                              // A peer that just closes the socket, without TLS's close_notify, has
                              // ended its input all the same.
                              if (ec == asio::ssl::error::stream_truncated) ec = asio::error::eof;
                              on_input(ec, std::string_view{buffer_->data(), n}, false);
                            });
  }

  template <class Done>
  void write(std::span<const Payload> batch, Done&& done) {
    pending_.clear();
    for (const auto& payload : batch) pending_.append(payload.view());
    write_pending(std::forward<Done>(done));
  }

  template <class Done>
  void write_buffers(std::span<const asio::const_buffer> buffers, Done&& done) {
    pending_.clear();
    for (const auto& buffer : buffers)
      pending_.append(static_cast<const char*>(buffer.data()), buffer.size());
    write_pending(std::forward<Done>(done));
  }

  // Nothing: cleartext would be garbage to a TLS client, which sees the close instead.
  static std::string refusal(std::string_view /*words*/, std::string_view /*code*/) { return {}; }

 private:
  template <class Done>
  void write_pending(Done&& done) {
    asio::async_write(
        stream_, asio::buffer(pending_),
        [this, done = std::forward<Done>(done)](std::error_code ec, std::size_t) mutable {
          reset_buffer(pending_);  // an idle connection keeps no big batch
          done(ec);
        });
  }

 public:
  // Closes the socket without a TLS close_notify: Asio sends one only through
  // async_shutdown, which then waits for the peer's, and a peer that never answers must
  // not hold the connection open. (Strict clients report an unexpected EOF.)
  void close() {
    std::error_code ignored;
    stream_.next_layer().shutdown(asio::socket_base::shutdown_both, ignored);
    stream_.next_layer().close(ignored);
  }

 private:
  std::shared_ptr<asio::ssl::context> context_;  // the certificate this connection was made with
  asio::ssl::stream<TcpSocket> stream_;
  std::unique_ptr<std::array<char, read_chunk>> buffer_;
  std::string pending_;
};

}  // namespace socketchat::detail
