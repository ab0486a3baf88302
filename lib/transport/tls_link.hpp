#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include <asio/ssl/context.hpp>

#include "socketchat/payload.hpp"
#include "transport/asio_types.hpp"
#include "transport/link_bytes.hpp"
#include "transport/no_control_frames.hpp"
#include "transport/tls_engine.hpp"

namespace socketchat::detail {

// The bytes of one connection over TLS (see TcpLink for the members every link has).
// Like TcpLink it waits for the socket and then reads or writes without blocking, so an
// idle connection holds no buffer: reads land in a buffer per thread, and TlsEngine gives
// OpenSSL's back. A write packs the batch into full records (16 KiB of plaintext) and
// sends a few records per system call.
class TlsLink : public NoControlFrames {
 public:
  static constexpr const char* transport = "tls";
  std::string_view transport_name() const noexcept { return transport; }
  static constexpr bool encrypted() noexcept { return true; }
  // As much as a read over TCP takes: several records.
  static constexpr std::size_t read_chunk = 4 * TlsEngine::max_record;

  TlsLink(TcpSocket socket, std::shared_ptr<asio::ssl::context> context)
      : context_(std::move(context)),
        socket_(std::move(socket)),
        engine_(context_->native_handle(), socket_.native_handle()) {}

  TcpSocket& socket() noexcept { return socket_; }
  PooledStrand get_executor() { return socket_.get_executor(); }

  template <class Ready>
  void open(Ready&& ready) {
    std::error_code failed;
    TlsEngine::Wait wait = engine_.handshake(failed);
    if (failed || wait == TlsEngine::Wait::none) return ready(failed);
    socket_.async_wait(as_socket_wait(wait),
                       [this, ready = std::forward<Ready>(ready)](std::error_code ec) mutable {
                         if (ec) return ready(ec);
                         open(std::move(ready));
                       });
  }

  // Records that reading made OpenSSL send (its answer to a key update) and the socket
  // did not take go out before anything more is read: a client that asks for key
  // updates and never reads cannot pile them up here.
  template <class OnInput>
  void read(bool speculative, OnInput&& on_input) {
    if (engine_.has_unsent())
      return wait_then_read(TlsEngine::Wait::write, std::forward<OnInput>(on_input));
    if (speculative || engine_.has_pending()) return read_now(std::forward<OnInput>(on_input));
    wait_then_read(TlsEngine::Wait::read, std::forward<OnInput>(on_input));
  }

  template <class Done>
  void write(std::span<const Payload> batch, Done&& done) {
    next_ = offset_ = 0;
    write_now(batch, std::forward<Done>(done));
  }

  template <class Done>
  void write_buffers(std::span<const asio::const_buffer> buffers, Done&& done) {
    next_ = offset_ = 0;
    write_now(buffers, std::forward<Done>(done));
  }

  // Nothing: cleartext would be garbage to a TLS client, which sees the close instead.
  static std::string refusal(std::string_view /*words*/, std::string_view /*code*/) { return {}; }

  // Sends a close_notify (if the socket takes it: nothing waits for the client's), so
  // strict clients see a clean end, then closes the socket.
  void close() {
    engine_.close_notify();
    engine_.forget_socket();  // its number is free for the next connection once closed
    std::error_code ignored;
    socket_.shutdown(asio::socket_base::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  static asio::socket_base::wait_type as_socket_wait(TlsEngine::Wait wait) noexcept {
    return wait == TlsEngine::Wait::write ? asio::socket_base::wait_write
                                          : asio::socket_base::wait_read;
  }

  template <class OnInput>
  void wait_then_read(TlsEngine::Wait wait, OnInput&& on_input) {
    socket_.async_wait(as_socket_wait(wait), [this, on_input = std::forward<OnInput>(on_input)](
                                                 std::error_code ec) mutable {
      if (ec) return on_input(ec, std::string_view{}, false);
      if (engine_.has_unsent() && !engine_.send(ec)) {
        if (ec) return on_input(ec, std::string_view{}, false);
        return wait_then_read(TlsEngine::Wait::write, std::move(on_input));
      }
      read_now(std::move(on_input));
    });
  }

  template <class OnInput>
  void read_now(OnInput&& on_input) {
    thread_local std::array<char, read_chunk> buffer;
    TlsEngine::Wait wait;
    std::error_code ec;
    std::size_t n = engine_.read(buffer, wait, ec);
    if (n == 0 && !ec) return wait_then_read(wait, std::forward<OnInput>(on_input));
    // Every record already received, not one at a time: a client's burst is handed on
    // whole, as a read over TCP hands it, so its messages are fanned out together and
    // each reader's next write carries all of them. One record per read made a write
    // to every reader per message: a third of TCP's deliveries per send. It stops
    // where a read would: at answers (to key updates) the socket has not taken.
    while (!ec && n < buffer.size() && engine_.has_pending() && !engine_.has_unsent()) {
      std::size_t more = engine_.read(std::span(buffer).subspan(n), wait, ec);
      if (more == 0) break;  // an error (handed on with what was read) or a wait
      n += more;
    }
    on_input(ec, std::string_view{buffer.data(), n}, n > 0 && engine_.has_pending());
  }

  // Encrypts the batch a few records at a time, each lot sent at once; waits for the
  // socket only when it is full. Calls done(ec) when all is sent.
  template <class Item, class Done>
  void write_now(std::span<const Item> items, Done&& done) {
    thread_local std::array<char, TlsEngine::max_record> plaintext;
    std::error_code failed;
    while (!failed) {
      if (engine_.has_unsent() || TlsEngine::encrypted_bytes() > 0) {
        if (!engine_.send(failed)) break;
      }
      if (next_ == items.size()) break;
      while (next_ < items.size() && TlsEngine::encrypted_bytes() < send_after && !failed) {
        std::size_t filled = pack(items, plaintext);
        if (filled > 0) failed = engine_.encrypt({plaintext.data(), filled});
      }
    }
    if (failed || !engine_.has_unsent()) {
      engine_.release_buffers();
      return done(failed);
    }
    socket_.async_wait(asio::socket_base::wait_write,
                       [this, items, done = std::forward<Done>(done)](std::error_code ec) mutable {
                         if (ec) return done(ec);
                         write_now(items, std::move(done));
                       });
  }

  // Copies the next bytes of the batch into `into`, as many as fit.
  template <class Item, std::size_t Size>
  std::size_t pack(std::span<const Item> items, std::array<char, Size>& into) {
    std::size_t filled = 0;
    while (next_ < items.size() && filled < Size) {
      std::string_view bytes = bytes_of(items[next_]).substr(offset_);
      std::size_t taken = std::min(bytes.size(), Size - filled);
      std::memcpy(into.data() + filled, bytes.data(), taken);
      filled += taken;
      offset_ += taken;
      if (offset_ == bytes_of(items[next_]).size()) {
        ++next_;
        offset_ = 0;
      }
    }
    return filled;
  }

  // Ciphertext gathered before a send: four full records per system call.
  static constexpr std::size_t send_after = 4 * TlsEngine::max_record;

  std::shared_ptr<asio::ssl::context> context_;  // the certificate this connection was made with
  TcpSocket socket_;
  TlsEngine engine_;
  std::size_t next_ = 0;    // of the batch being written: the first piece not fully packed
  std::size_t offset_ = 0;  // bytes of it already packed
};

}  // namespace socketchat::detail
