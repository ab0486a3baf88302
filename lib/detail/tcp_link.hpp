#pragma once

#include <array>
#include <span>
#include <system_error>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/write.hpp>

#include "detail/asio_types.hpp"
#include "detail/payload.hpp"

namespace socketchat::detail {

// The bytes of one connection over plain TCP, as a Session uses them (the "link"
// of the transport). Every link offers the same members: open, read, write,
// has_control, goodbye, close, socket and get_executor.
//
// Reads land in a buffer per thread, not per connection: an idle connection holds
// no read buffer at all. That is why reading waits for readability and then reads
// without blocking, instead of async_read_some into a buffer of its own.
class TcpLink {
 public:
  static constexpr const char* transport = "tcp";
  static constexpr std::size_t read_chunk = 64 * 1024;

  explicit TcpLink(TcpSocket socket) : socket_(std::move(socket)) {}

  TcpSocket& socket() noexcept { return socket_; }
  Executor get_executor() { return socket_.get_executor(); }

  // Nothing to negotiate over plain TCP.
  template <class Ready>
  void open(Ready&& ready) {
    ready(std::error_code{});
  }

  // Calls on_input(ec, bytes, more_waiting) once: with what arrived, or with an
  // error (asio::error::eof at the end of input). `speculative` reads at once, for
  // when the last read filled the buffer and more is likely waiting.
  template <class OnInput>
  void read(bool speculative, OnInput&& on_input) {
    if (speculative) return read_now(std::forward<OnInput>(on_input));
    socket_.async_wait(asio::socket_base::wait_read,
                       [this, on_input = std::forward<OnInput>(on_input)](std::error_code ec) mutable {
                         if (ec) return on_input(ec, std::string_view{}, false);
                         read_now(std::move(on_input));
                       });
  }

  // Writes the batch in one gather write; calls done(ec) when all is written.
  template <class Done>
  void write(std::span<const Payload> batch, Done&& done) {
    buffers_.clear();
    for (const auto& payload : batch) buffers_.emplace_back(payload.data(), payload.size());
    write_buffers(buffers_, std::forward<Done>(done));
  }

  // The same for bytes framed by a link on top of this one; they must stay valid
  // until done.
  template <class Done>
  void write_buffers(std::span<const asio::const_buffer> buffers, Done&& done) {
    asio::async_write(socket_, buffers,
                      [done = std::forward<Done>(done)](std::error_code ec, std::size_t) mutable {
                        done(ec);
                      });
  }

  // Plain TCP has no frames of its own to send, and no goodbye beyond the FIN.
  bool has_control() const noexcept { return false; }
  void goodbye(bool /*server_going_away*/) {}

  void close() {
    std::error_code ignored;
    socket_.shutdown(asio::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  template <class OnInput>
  void read_now(OnInput&& on_input) {
    thread_local std::array<char, read_chunk> buffer;
    std::error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      return read(false, std::forward<OnInput>(on_input));
    }
    on_input(ec, std::string_view{buffer.data(), ec ? 0 : n}, !ec && n == buffer.size());
  }

  TcpSocket socket_;
  std::vector<asio::const_buffer> buffers_;
};

}  // namespace socketchat::detail
