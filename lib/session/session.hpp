#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "server/connection.hpp"
#include "session/connection_services.hpp"
#include "session/deadlines.hpp"
#include "session/rate_limiter.hpp"
#include "session/session_context.hpp"
#include "session/write_turns.hpp"
#include "socketchat/error.hpp"
#include "socketchat/protocol.hpp"
#include "transport/asio_types.hpp"
#include "util/buffer_release.hpp"
#include "util/thread_scratch.hpp"

namespace socketchat::detail {

// One connection's life: its read loop, its bounded write queue, its deadline (idle,
// login, handshake, drain: in its io_context's Deadlines) and its rate limiter, over a Link that
// moves its bytes (TcpLink, TlsLink, WebSocketLink<...>: see tcp_link.hpp for what a link offers).
// It owns the link; the Hub holds it only as a Peer while it is logged in, and the ConnectionTable
// holds it until it has closed.
//
// Everything but send() runs on the session's strand. send() may be called from
// any thread: it appends to the queue under a mutex (one of the server's OutputLocks)
// and, if no write is in flight, asks the io_context's WriteTurns for a turn. Each
// write gathers everything queued into one gather write.
template <class Link>
class Session final : public Connection,
                      public std::enable_shared_from_this<Session<Link>>,
                      private Timed {  // last: its padding holds table_slot_ (below)
 public:
  using Clock = std::chrono::steady_clock;

  // `protocol` is the listener's: it makes this connection's decoder, and that says
  // which protocol spells the replies (see Decoder::encoder).
  Session(const SessionContext& context, const Protocol& protocol, Link link, std::uint64_t id,
          std::string remote);
  ~Session();

  // Opens the link (handshakes), then reads and times; call once, after ConnectionTable::add().
  void start();
  void shut_down() override;
  std::uint32_t& table_slot() noexcept override { return table_slot_; }
  void expel(Payload words) override;

  void send(Payload payload) override;
  void send_each(std::span<const Payload* const> payloads) override;
  const Protocol& protocol() const noexcept override {
    return *protocol_.load(std::memory_order_relaxed);  // protocols outlive connections
  }
  const Protocol& encoder() const noexcept override { return decoder_->encoder(); }
  std::string_view transport() const noexcept override { return link_.transport_name(); }
  bool encrypted() const noexcept override { return link_.encrypted(); }
  UserIdentity identity() const noexcept override { return decoder_->identity(); }
  std::shared_ptr<Peer> shared_peer() override { return this->shared_from_this(); }
  void defer(std::function<void()> task) override;
  auto get_executor() { return link_.get_executor(); }

 private:
  enum class State : std::uint8_t { opening, open, draining, closed };

  // What the decoder calls, through a Decoding made for each feed() (a handler is used
  // only during the call): not a base, so that a connection carries no pointer for it.
  class Decoding final : public DecodeHandler {
   public:
    explicit Decoding(Session& session) noexcept : session_(session) {}
    Handled on_command(const Command& command) override { return session_.on_command(command); }
    Flow on_reply(Payload payload) override { return session_.on_reply(std::move(payload)); }
    void on_answer(Payload payload) override { session_.on_answer(std::move(payload)); }
    bool on_decode_error(ReplyError error) override { return session_.on_decode_error(error); }
    void on_line() override { session_.on_line(); }
    void on_capabilities_changed() override { session_.on_capabilities_changed(); }

   private:
    Session& session_;
  };
  Handled on_command(const Command& command);
  Flow on_reply(Payload payload);
  void on_answer(Payload payload);
  bool must_wait(bool message);  // and pauses the input if so
  bool on_decode_error(ReplyError error);
  void on_line();
  void on_capabilities_changed();

  void on_opened(std::error_code ec);
  // What a read calls back: the session, kept alive while the read waits, and through
  // it the link, so that a link wrapping another (WebSocket) finds itself there instead
  // of adding its own pointer to the operation each idle connection has pending (a
  // connection's size is the server's memory at scale).
  struct ReadDone {
    std::shared_ptr<Session> self;
    void operator()(std::error_code ec, std::string_view bytes, bool more_waiting) const {
      self->on_input(ec, bytes, more_waiting);
    }
    Link& link() const noexcept { return self->link_; }
  };
  void read(bool speculative);
  void on_input(std::error_code ec, std::string_view bytes, bool more_waiting);
  // Decodes `bytes`; what a paused command left unread is kept in stash_. Then reads
  // on, unless paused or closing.
  void decode(std::string_view bytes);
  void read_on();
  void resume();
  bool rate_allows();
  void admit_control();  // the link's control frames: rate and sendq_bytes
  void reply_error(ReplyError error);

  void arm_timer(Clock::time_point deadline);
  void arm_drain_deadline();        // shutdown_timeout from now
  void deadline_passed() override;  // Deadlines: on_timer() on the strand
  void on_timer();
  // When the input being decoded was read (or, stashed, taken up again): what the rate
  // limit and the idle timeout count from. Per thread, not per connection (a connection's
  // size is the server's memory at scale): it is set right before each decode, and a
  // decode runs on one thread from start to end.
  static Clock::time_point& input_time() noexcept {
    thread_local Clock::time_point time;
    return time;
  }
  Clock::time_point deadline() const;

  // Counts `size` more bytes against sendq_bytes, or closes the output when they do not
  // fit (false); under out_mutex().
  bool admit_locked(std::size_t size);
  // After a send: a write if the queue was idle, or the end of a reader too far behind.
  void after_send(bool kick, bool overflow);
  void kick_flush();
  void schedule_write();       // a turn in WriteTurns, then flush()
  void write_turn() override;  // WriteTurns: flush() on the strand
  void flush();
  void on_written(std::error_code ec);

  // Graceful end: stop reading, send `last_words` if any; once the Hub has finished
  // every command already taken (settled), leave it and close when the queue is
  // written, or when shutdown_timeout has passed.
  void finish(errc reason, const Payload* last_words);
  // Immediate end: the queue is dropped and the socket closed; the Hub still
  // delivers the messages already taken before the departure is announced.
  void abort(errc reason);
  void close_now();
  // The Hub owes this connection nothing more (or it has waited long enough).
  bool settled() const noexcept { return in_flight_ == 0; }
  // What an ending connection does once it has settled: leave the Hub (draining),
  // close when drained, retire (closed).
  void on_settled();
  void leave_hub();
  void close_if_drained();
  void retire();      // leaves the Hub and the ConnectionTable, publishes the disconnect
  bool backlogged();  // so much output waits that commands should wait for it
  void publish_error(std::string_view detail, std::error_code reason);
  std::mutex& out_mutex() const noexcept;  // the queue's: one of the server's OutputLocks

  // First: it fits where the last base, Timed, would pad (a connection's size is the
  // server's memory at scale).
  std::uint32_t table_slot_ = no_table_slot;  // the ConnectionTable's (under its lock)
  // The server's parts (one SessionContext per server, which outlives its sessions):
  // a pointer, not a copy of its six references (40 bytes less a connection).
  const SessionContext* context_;
  std::unique_ptr<Decoder> decoder_;
  // The listener's protocol, or the one a WebSocket client asked for (set on opening).
  // Read by the threads that deliver to it, changed on the strand (CAPS).
  std::atomic<const Protocol*> protocol_;
  Link link_;
  ConnectionServices& services_;  // of the io_context this connection runs on
  RateLimiter rate_;
  // When it connected (opening, open: the handshake's and the login's deadlines count
  // from it), then, once it ends, when its drain must be over (draining, closed): no
  // state needs both (a connection's size is the server's memory at scale).
  Clock::time_point connected_or_drain_by_;
  Clock::time_point last_input_;
  // Input received while paused, not yet decoded; made when first needed, and dropped
  // once decoded, so an idle connection holds no string for it.
  std::unique_ptr<std::string> stash_;

  // The small fields together, without padding between them (a connection's size is
  // the server's memory at scale).
  int in_flight_ = 0;  // commands the Hub has not finished (Hub::After::pending, wait)
  // Why it ends (an errc; none yet: 0), in a byte.
  std::uint8_t reason_ = 0;
  static_assert(static_cast<int>(errc::banned) <= UINT8_MAX);
  errc reason() const noexcept { return static_cast<errc>(reason_); }
  std::uint8_t metrics_slot_;  // of the link's transport (Metrics::max_transports)
  State state_ = State::opening;
  // Strand only, so in bits (a write to one rewrites its neighbours: no other thread may
  // write any of them).
  bool announced_ : 1 = false;     // the connect event went out: the disconnect one will too
  bool probed_ : 1 = false;        // idle: the protocol's keepalive probe went out, no line since
  bool paused_ : 1 = false;        // input waits in stash_ until the Hub is done (see on_command)
  bool blocked_ : 1 = false;       // a command waits for the Hub with everything after it
  bool more_waiting_ : 1 = false;  // the last read filled the buffer: the socket may hold more
  bool input_ended_ : 1 = false;   // end of input came while paused: finish once the stash is done
  bool drain_wait_ : 1 = false;    // paused until the client reads its backlog (backlogged)
  bool left_hub_ : 1 = false;      // Hub::leave() done
  bool retired_ : 1 = false;       // ConnectionTable::remove() done
  bool write_in_flight_ : 1 = false;  // the link is writing writing_
  bool write_pending_ = false;  // under out_mutex(): a flush is posted or a write is in flight
  bool output_closed_ = false;  // under out_mutex()

  // Shared with send() on other threads, under out_mutex() (the server's OutputLocks).
  std::vector<Payload> queued_;
  std::size_t queued_bytes_ = 0;  // queued plus in flight, against sendq_bytes

  // Strand only: the batch being written, in a vector lent by the thread for the write
  // (ThreadScratch), as a WebSocket write's gather list is: an idle connection holds a
  // null pointer, not a vector and the capacity its last write left.
  struct Batch {
    std::vector<Payload> payloads;
    void clear() noexcept { reset_buffer(payloads); }
  };
  ThreadScratch<Batch>::Lease writing_;
};

}  // namespace socketchat::detail
