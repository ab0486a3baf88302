#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/write.hpp>

#include "socketchat/payload.hpp"
#include "transport/asio_types.hpp"
#include "transport/link_bytes.hpp"
#include "transport/no_control_frames.hpp"

namespace socketchat::detail {

// The bytes of one connection over plain TCP, as a Session uses them (the "link"
// of the transport). Every link offers the same members: open, read, write,
// has_control, admit_control, control_bytes, goodbye, close, socket and get_executor.
// A read's callback (the session's ReadDone) is called as on_input(ec, bytes, more) and
// has link(), the outermost link, through which a link wrapping another finds itself.
//
// Control frames are a link's own output (WebSocket pongs and its close frame), so the
// session bounds them through two members, and links without any have trivial ones:
// - admit_control(admit): the session calls it after each read; for each ping received
//   since the last call the link calls admit() (bool: the session charges its rate
//   limiter) and queues the pong only if it returns true, else drops it. Until then the
//   pongs are held, at most one read's worth.
// - control_bytes(): the bytes of control frames queued or being written, which the
//   session counts against sendq_bytes with its own queue.
// And one static member for the listener: refusal(words, code), what a connection
// refused at the connection limits is sent before it is closed, as this transport
// carries it: `words` is the protocol's own refusal (ERR server-full, IRC's ERROR),
// `code` its short name (server-full), for a transport with its own way to refuse.
//
// Reads land in a buffer per thread, not per connection: an idle connection holds
// no read buffer at all. That is why reading waits for readability and then reads
// without blocking, instead of async_read_some into a buffer of its own.
class TcpLink : public NoControlFrames {
 public:
  static constexpr const char* transport = "tcp";
  std::string_view transport_name() const noexcept { return transport; }
  static constexpr bool encrypted() noexcept { return false; }
  static constexpr std::size_t read_chunk = 64 * 1024;

  explicit TcpLink(TcpSocket socket) : socket_(std::move(socket)) {}

  TcpSocket& socket() noexcept { return socket_; }
  PooledStrand get_executor() { return socket_.get_executor(); }

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
    socket_.async_wait(
        asio::socket_base::wait_read,
        [this, on_input = std::forward<OnInput>(on_input)](std::error_code ec) mutable {
          if (ec) return on_input(ec, std::string_view{}, false);
          read_now(std::move(on_input));
        });
  }

  // Writes the batch with as few gather writes as the kernel allows (up to IOV_MAX
  // pieces each, where Asio's gather write stops at 64); waits for the socket only
  // when it is full. Calls done(ec) when all is written, at once if the socket took it
  // all. The payloads must stay put until then.
  template <class Done>
  void write(std::span<const Payload> batch, Done&& done) {
    next_ = offset_ = 0;
    write_now(batch, std::forward<Done>(done));
  }

  // The same for bytes framed by a link on top of this one (WebSocket).
  template <class Done>
  void write_buffers(std::span<const asio::const_buffer> buffers, Done&& done) {
    next_ = offset_ = 0;
    write_now(buffers, std::forward<Done>(done));
  }

  // The protocol's words, as they are.
  static std::string refusal(std::string_view words, std::string_view /*code*/) {
    return std::string(words);
  }

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

  template <class Item, class Done>
  void write_now(std::span<const Item> items, Done&& done) {
    thread_local std::array<iovec, max_iovecs> iov;
    while (next_ < items.size()) {
      std::size_t count = 0;
      for (std::size_t i = next_; i < items.size() && count < iov.size(); ++i, ++count) {
        std::string_view bytes = bytes_of(items[i]).substr(i == next_ ? offset_ : 0);
        iov[count] = {const_cast<char*>(bytes.data()), bytes.size()};
      }
      msghdr message{};
      message.msg_iov = iov.data();
      message.msg_iovlen = count;
      // sendmsg rather than writev: MSG_NOSIGNAL, so a peer gone away is an error
      // code, not a SIGPIPE for the whole process.
      ssize_t n = ::sendmsg(socket_.native_handle(), &message, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          socket_.async_wait(
              asio::socket_base::wait_write,
              [this, items, done = std::forward<Done>(done)](std::error_code ec) mutable {
                if (ec) return done(ec);
                write_now(items, std::move(done));
              });
          return;
        }
        return done(std::error_code(errno, std::system_category()));
      }
      advance(items, static_cast<std::size_t>(n));
    }
    done(std::error_code{});
  }

  template <class Item>
  void advance(std::span<const Item> items, std::size_t written) {
    while (written > 0) {
      std::size_t left = bytes_of(items[next_]).size() - offset_;
      if (written < left) {
        offset_ += static_cast<std::uint32_t>(written);
        return;
      }
      written -= left;
      ++next_;
      offset_ = 0;
    }
  }

  static constexpr std::size_t max_iovecs = IOV_MAX < 1024 ? IOV_MAX : 1024;

  TcpSocket socket_;
  // 32 bits each (a batch's pieces and a piece's bytes are far fewer): a connection's size
  // is the server's memory at scale.
  std::uint32_t next_ = 0;    // of the batch being written: the first piece not fully written
  std::uint32_t offset_ = 0;  // bytes of it already written
};

}  // namespace socketchat::detail
