#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <system_error>
#include <vector>

#include <asio/buffer.hpp>

#include "detail/asio_types.hpp"
#include "detail/connection.hpp"
#include "detail/peer.hpp"
#include "detail/protocol.hpp"
#include "detail/rate_limiter.hpp"

namespace socketchat::detail {

class Core;

// One connection's life: its read loop, its bounded write queue, its idle/login
// timer and its rate limiter. It owns the socket; the Hub holds it only as a Peer
// while it is logged in, and Core holds it until it has closed.
//
// Everything but send() runs on the session's strand. send() may be called from
// any thread: it appends to the queue under a small mutex and, if no write is in
// flight, posts one. Each write gathers everything queued into one writev.
class Session final : public Peer,
                      public Connection,
                      private DecodeHandler,
                      public std::enable_shared_from_this<Session> {
 public:
  using Clock = std::chrono::steady_clock;

  Session(Core& core, TcpSocket socket, std::uint64_t id, std::string remote,
          std::string address);
  ~Session();

  // Begins reading and timing; call once, after Core::add().
  void start();
  void shut_down() override;

  void send(Payload payload) override;
  const Protocol& protocol() const noexcept override { return protocol_; }
  std::shared_ptr<Peer> shared_peer() override { return shared_from_this(); }
  void defer(std::function<void()> task) override;
  const std::string& address() const noexcept { return address_; }
  Executor get_executor() noexcept { return socket_.get_executor(); }

 private:
  enum class State { open, draining, closed };

  bool on_command(const Command& command) override;
  bool on_decode_error(ReplyError error) override;
  void on_line() override;

  void wait_readable();
  void on_readable(std::error_code ec);
  // Decodes `bytes`; what a paused command left unread is kept in stash_. Then reads
  // on, unless paused or closing.
  void decode(std::string_view bytes, bool more_waiting);
  void resume();
  bool rate_allows();
  void reply_error(ReplyError error);

  void arm_timer(Clock::time_point deadline);
  void on_timer(std::error_code ec);
  Clock::time_point idle_deadline() const;

  void flush();
  void on_written(std::error_code ec);

  // Graceful end: leave the Hub now, send `last_words` if any, then close once the
  // queue is written or shutdown_timeout has passed.
  void finish(std::error_code reason, const Payload* last_words);
  // Immediate end: the queue is dropped.
  void abort(std::error_code reason);
  void close_now();

  Core& core_;
  const Protocol& protocol_;
  TcpSocket socket_;
  Timer timer_;
  std::unique_ptr<Decoder> decoder_;
  RateLimiter rate_;
  std::string address_;  // the client's IP, for the per-address limit
  State state_ = State::open;
  std::error_code reason_;
  Clock::time_point connected_at_;
  Clock::time_point last_input_;
  Clock::time_point now_;  // when the chunk being decoded was read
  Clock::time_point drain_deadline_;
  bool paused_ = false;       // a command is waiting for the Hub (Hub::After::wait)
  bool more_waiting_ = false;  // the last read filled the buffer: the socket may hold more
  std::string stash_;          // input received while paused, not yet decoded

  // Shared with send() on other threads, under out_mutex_.
  std::mutex out_mutex_;
  std::vector<Payload> queued_;
  std::size_t queued_bytes_ = 0;  // queued plus in flight, against sendq_bytes
  bool write_pending_ = false;    // a flush is posted or a write is in flight
  bool output_closed_ = false;

  // Strand only: the batch being written.
  std::vector<Payload> writing_;
  std::vector<asio::const_buffer> buffers_;
};

}  // namespace socketchat::detail
