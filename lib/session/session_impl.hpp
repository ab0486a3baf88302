#pragma once

// The definitions of Session<Link>, for start_session.hpp: each transport's file
// instantiates the sessions of its own links.

#include "session/session.hpp"

#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include "hub/hub.hpp"
#include "server/connection_table.hpp"
#include "server/metrics.hpp"
#include "server/settings.hpp"
#include "session/output_locks.hpp"
#include "sinks/event_bus.hpp"
#include "socketchat/error.hpp"
#include "util/buffer_release.hpp"

namespace socketchat::detail {

template <class Link>
Session<Link>::Session(const SessionContext& context, const Protocol& protocol, Link link,
                       std::uint64_t id, std::string remote)
    : Connection(id, std::move(remote)),
      context_(&context),
      decoder_(protocol.make_decoder()),
      protocol_(&protocol),
      link_(std::move(link)),
      services_(asio::use_service<ConnectionServices>(
          asio::query(link_.get_executor(), asio::execution::context))),
      rate_(context.settings.limits().rate_burst(), Clock::now()),
      connected_or_drain_by_(Clock::now()),
      last_input_(connected_or_drain_by_),
      metrics_slot_(
          static_cast<std::uint8_t>(context.metrics.transport_slot(link_.transport_name()))) {
  static_assert(Metrics::max_transports <= 256, "a slot fits metrics_slot_");
}

template <class Link>
Session<Link>::~Session() {
  services_.deadlines.cancel(*this);
}

template <class Link>
void Session<Link>::start() {
  if constexpr (requires { link_.socket(); }) {  // a TCP socket of the built-in links
    auto& socket = link_.socket();
    std::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    // A fixed kernel buffer: otherwise Linux grows it to megabytes for a reader that
    // does not read, and sendq_bytes would bound only what is queued beyond that.
    if (int bytes = static_cast<int>(context_->settings.options().send_buffer_bytes); bytes > 0) {
      socket.set_option(asio::socket_base::send_buffer_size(bytes), ignored);
    }
  }
  arm_timer(deadline());
  link_.open([self = this->shared_from_this()](std::error_code ec) { self->on_opened(ec); });
}

template <class Link>
void Session<Link>::on_opened(std::error_code ec) {
  if (state_ != State::opening) return;
  if (ec) {
    // A failed handshake, or a plain HTTP request answered by the link: no chat here.
    if (ec != asio::error::eof)
      publish_error(std::string(link_.transport_name()) + "-handshake-failed", ec);
    return close_now();  // never open: nothing to announce
  }
  if constexpr (requires { link_.negotiated_protocol(); }) {
    // A WebSocket client asked for a protocol by subprotocol name (IRC over WebSocket).
    if (const Protocol* asked = link_.negotiated_protocol(); asked && asked != protocol_) {
      decoder_ = asked->make_decoder();
      protocol_ = asked;
    }
  }
  state_ = State::open;
  announced_ = true;
  context_->metrics.opened(metrics_slot_);
  last_input_ = Clock::now();
  Event event{.kind = EventKind::connect, .time = {}, .connection = id(), .remote = remote()};
  context_->bus.publish(event);
  arm_timer(deadline());
  read(false);
}

// ---- reading -------------------------------------------------------------------

template <class Link>
void Session<Link>::read(bool speculative) {
  link_.read(speculative, ReadDone{this->shared_from_this()});
}

template <class Link>
void Session<Link>::on_input(std::error_code ec, std::string_view bytes, bool more_waiting) {
  if (state_ != State::open) return;
  admit_control();  // the pongs go out first, as their pings came first
  if (state_ != State::open) return;
  if (!bytes.empty()) {
    context_->metrics.received(bytes.size());
    input_time() = Clock::now();
    more_waiting_ = more_waiting;
    decode(bytes);
    // Replies to what was just read go out now, not behind every flush queued for
    // other connections: a PING is answered in the time it takes to read it.
    if (state_ == State::open) flush();
  }
  if (link_.has_control()) kick_flush();  // e.g. a WebSocket pong to send
  if (state_ != State::open) return;
  if (ec == asio::error::eof) {
    // The end of input cancels nothing already read: commands waiting in stash_ are
    // taken first (resume), then the session finishes.
    if (paused_) {
      input_ended_ = true;
      return;
    }
    return finish(errc::closed_by_client, nullptr);
  }
  if (ec) return abort(errc::connection_reset);
  if (!paused_) read_on();
}

template <class Link>
void Session<Link>::decode(std::string_view bytes) {
  if (paused_) {  // a command is still waiting: keep the input in order behind it
    if (!stash_) stash_ = std::make_unique<std::string>();
    stash_->append(bytes);
    return;
  }
  Decoding handler(*this);
  std::size_t taken = decoder_->feed(bytes, handler);
  if (paused_ && state_ == State::open && taken < bytes.size()) {
    stash_ = std::make_unique<std::string>(bytes.substr(taken));  // `bytes` is not ours
  }
}

template <class Link>
void Session<Link>::read_on() {
  if (more_waiting_) {
    // More may be waiting: yield to other connections, then read again at once.
    asio::post(link_.get_executor(), [self = this->shared_from_this()] {
      if (self->state_ == State::open && !self->paused_) self->read(true);
    });
  } else {
    read(false);
  }
}

template <class Link>
void Session<Link>::on_capabilities_changed() {
  if (const Protocol* broadcasts = decoder_->broadcast_encoder()) {
    protocol_.store(broadcasts, std::memory_order_relaxed);
  }
  set_echoes(decoder_->echoes_own_messages());
}

template <class Link>
void Session<Link>::defer(std::function<void()> task) {
  asio::post(link_.get_executor(), [self = this->shared_from_this(), task = std::move(task)] {
    // Whatever became of this connection, a message it sent is delivered to the
    // others (a reply to a closed connection is dropped by send()).
    const bool waited = self->blocked_;  // only a command that waits is in flight then
    const std::uint32_t refusals_before = self->refusals();
    self->decoder_->on_finishing();
    task();
    const bool refused = self->refusals() != refusals_before;
    if (waited) self->decoder_->on_settled(refused);
    self->send(self->decoder_->on_finished(refused));
    self->context_->connections.hub_work_ended();
    if (--self->in_flight_ == 0) self->blocked_ = false;
    if (self->state_ == State::open) return self->resume();
    if (self->settled()) self->on_settled();
  });
}

template <class Link>
void Session<Link>::resume() {
  if (!paused_ || blocked_) return;
  paused_ = false;
  drain_wait_ = false;
  if (state_ != State::open) return;
  if (auto pending = std::move(stash_)) {
    input_time() = Clock::now();
    decode(*pending);
  }
  if (state_ != State::open || paused_) return;
  if (input_ended_) return finish(errc::closed_by_client, nullptr);
  read_on();
}

template <class Link>
void Session<Link>::on_line() {
  last_input_ = input_time();
  probed_ = false;
}

template <class Link>
bool Session<Link>::rate_allows() {
  const auto& limits = context_->settings.limits();
  if (rate_.allow(input_time(), limits.rate_per_second(), limits.rate_burst())) return true;
  context_->metrics.rate_limited();
  reply_error(ReplyError::rate_limited);
  return false;
}

// The link's control frames (WebSocket pings) are commands too: each is charged to the
// rate limit (no pong for one over it), and what the link queues for them counts
// against sendq_bytes like any reply, so a client that pings and never reads is
// dropped like any slow reader.
template <class Link>
void Session<Link>::admit_control() {
  const auto& limits = context_->settings.limits();
  link_.admit_control([&] {
    if (rate_.allow(Clock::now(), limits.rate_per_second(), limits.rate_burst())) return true;
    context_->metrics.rate_limited();
    return false;
  });
  std::size_t limit = limits.sendq_bytes();
  if (limit == 0 || link_.control_bytes() == 0) return;
  bool over;
  {
    std::lock_guard lock(out_mutex());
    over = queued_bytes_ + link_.control_bytes() > limit;
  }
  if (over) abort(errc::sendq_exceeded);
}

template <class Link>
void Session<Link>::reply_error(ReplyError error) {
  send(encoder().encode({.notice = Notice::error, .error = error}));
}

// Messages being made durable do not hold up the next message of the same sender (the
// store keeps their order); anything else waits until they are delivered, so that what
// others see keeps the order in which it was sent.
inline constexpr int max_messages_in_flight = 64;

inline bool is_message(Verb verb) {
  return verb == Verb::msg || verb == Verb::dm || verb == Verb::say;
}

// Pauses the input (fed again once the Hub has caught up: defer) if what comes next must
// wait: anything while a command blocks, and all but a message while messages are in
// flight (or when too many are). And anything while the client has not read half of
// sendq_bytes: its next command waits until it has (on_written), so no reply to its own
// commands can overflow its queue.
template <class Link>
bool Session<Link>::must_wait(bool message) {
  if (!blocked_ && (in_flight_ == 0 || (message && in_flight_ < max_messages_in_flight))) {
    if (!backlogged()) return false;
    drain_wait_ = true;
  }
  paused_ = true;
  return true;
}

template <class Link>
bool Session<Link>::backlogged() {
  std::size_t limit = context_->settings.limits().sendq_bytes();
  if (limit == 0) return false;
  std::lock_guard lock(out_mutex());
  return queued_bytes_ > limit / 2;
}

template <class Link>
Handled Session<Link>::on_command(const Command& command) {
  if (state_ != State::open) return {Flow::stop, true};
  if (must_wait(is_message(command.verb))) return Flow::retry;
  context_->metrics.command();
  if (!command.follow_up && !rate_allows()) return {Flow::next, true};
  const std::uint32_t refusals_before = refusals();
  const Hub::After after = context_->hub.handle(*this, command);
  const bool refused = refusals() != refusals_before;
  switch (after) {
    case Hub::After::close:
      finish(errc::closed_by_client, nullptr);
      return {Flow::stop, refused};
    case Hub::After::pending:
      ++in_flight_;
      return {state_ == State::open ? Flow::next : Flow::stop, refused, false, true};
    case Hub::After::wait:
      ++in_flight_;
      blocked_ = paused_ = true;
      return {Flow::stop, refused, true};
    case Hub::After::stay:
      break;
  }
  return {state_ == State::open ? Flow::next : Flow::stop, refused};
}

template <class Link>
Flow Session<Link>::on_reply(Payload payload) {
  if (state_ != State::open) return Flow::stop;
  if (must_wait(false)) return Flow::retry;  // after what the Hub still owes this client
  context_->metrics.command();
  if (rate_allows()) send(std::move(payload));
  return state_ == State::open ? Flow::next : Flow::stop;
}

template <class Link>
void Session<Link>::on_answer(Payload payload) {
  send(std::move(payload));  // dropped once the output has closed
}

template <class Link>
bool Session<Link>::on_decode_error(ReplyError error) {
  if (state_ != State::open) return false;
  if (rate_allows()) reply_error(error);
  return state_ == State::open;
}

// ---- timing --------------------------------------------------------------------

template <class Link>
typename Session<Link>::Clock::time_point Session<Link>::deadline() const {
  const auto& limits = context_->settings.limits();
  if (state_ == State::draining || state_ == State::closed) return connected_or_drain_by_;
  auto at = Clock::time_point::max();
  if (auto idle = limits.idle_timeout(); idle.count() > 0) {
    at = last_input_ + (probed_ ? 2 * idle : idle);  // a probed client gets one more period
  }
  if (auto login = limits.login_timeout(); !logged_in() && login.count() > 0) {
    at = std::min(at, connected_or_drain_by_ + login);
  }
  if (state_ == State::opening)
    at = std::min(at, connected_or_drain_by_ + context_->settings.options().handshake_timeout);
  return at;
}

template <class Link>
void Session<Link>::arm_drain_deadline() {
  connected_or_drain_by_ = Clock::now() + context_->settings.limits().shutdown_timeout();
  arm_timer(connected_or_drain_by_);
}

template <class Link>
void Session<Link>::arm_timer(Clock::time_point at) {
  if (at == Clock::time_point::max()) return services_.deadlines.cancel(*this);
  services_.deadlines.schedule(*this, at);
}

template <class Link>
void Session<Link>::deadline_passed() {
  if (auto self = this->weak_from_this().lock()) {  // else it is being destroyed
    asio::post(link_.get_executor(), [self = std::move(self)] { self->on_timer(); });
  }
}

// The deadline is not moved on every line: when it passes early it is set again for
// the rest. (A deadline that passed just before it was moved also lands here: check.)
template <class Link>
void Session<Link>::on_timer() {
  if (retired_) return;
  auto at = deadline();
  if (Clock::now() < at) return arm_timer(at);
  switch (state_) {
    case State::opening:
      publish_error(std::string(link_.transport_name()) + "-handshake-timeout",
                    errc::handshake_timeout);
      return close_now();
    case State::draining:
      return abort(reason());  // the flush took too long
    case State::closed:
      return retire();  // the Hub did not finish in time: go without waiting longer
    default:
      break;
  }
  if (logged_in() && !probed_) {
    // Idle, not a login timeout: a protocol that can ask the client whether it is
    // still there (IRC's PING) does so, and any line it sends back counts.
    if (auto probe = protocol().keepalive_probe()) {
      probed_ = true;
      send(std::move(probe));
      return arm_timer(deadline());
    }
  }
  auto words = encoder().encode({.notice = Notice::inactivity});
  finish(logged_in() ? errc::idle_timeout : errc::login_timeout, &words);
}

// ---- writing -------------------------------------------------------------------

template <class Link>
void Session<Link>::send(Payload payload) {
  if (payload.size() == 0)
    return;  // a reply the protocol spells as nothing (IRC: JOIN of a channel one is in)
  bool overflow = false;
  bool kick = false;
  {
    std::lock_guard lock(out_mutex());
    if (output_closed_) return;
    overflow = !admit_locked(payload.size());
    if (!overflow) {
      queued_.push_back(std::move(payload));
      kick = !std::exchange(write_pending_, true);
    }
  }
  after_send(kick, overflow);
}

template <class Link>
void Session<Link>::send_each(std::span<const Payload* const> payloads) {
  bool overflow = false;
  bool kick = false;
  {
    std::lock_guard lock(out_mutex());
    if (output_closed_) return;
    for (const Payload* payload : payloads) {
      if (!payload || payload->size() == 0) continue;
      overflow = !admit_locked(payload->size());
      if (overflow) break;
      queued_.push_back(*payload);
      kick = !std::exchange(write_pending_, true) || kick;
    }
  }
  after_send(kick, overflow);
}

template <class Link>
bool Session<Link>::admit_locked(std::size_t size) {
  std::size_t limit = context_->settings.limits().sendq_bytes();
  if (limit != 0 && queued_bytes_ + size > limit) {
    output_closed_ = true;  // nothing more for a reader this far behind
    return false;
  }
  queued_bytes_ += size;
  return true;
}

template <class Link>
void Session<Link>::after_send(bool kick, bool overflow) {
  if (overflow) {
    asio::post(link_.get_executor(),
               [self = this->shared_from_this()] { self->abort(errc::sendq_exceeded); });
  } else if (kick) {
    schedule_write();
  }
}

template <class Link>
void Session<Link>::schedule_write() {
  services_.write_turns.schedule(this->shared_from_this());
}

template <class Link>
void Session<Link>::write_turn() {
  asio::dispatch(link_.get_executor(), [self = this->shared_from_this()] { self->flush(); });
}

// For output of the link's own (control frames): a flush even with an empty queue.
template <class Link>
void Session<Link>::kick_flush() {
  {
    std::lock_guard lock(out_mutex());
    if (write_pending_) return;  // the write in flight takes the control frames along
    write_pending_ = true;
  }
  schedule_write();
}

template <class Link>
void Session<Link>::flush() {
  if (state_ == State::closed || write_in_flight_) return;  // on_written goes on from there
  {
    std::lock_guard lock(out_mutex());
    if (queued_.empty() && !link_.has_control()) {  // a read ends in a flush: it may find none
      write_pending_ = false;
      return;
    }
    if (!writing_) writing_ = ThreadScratch<Batch>::borrow();  // lent by the thread
    writing_->payloads.swap(queued_);
  }
  write_in_flight_ = true;
  link_.write(writing_->payloads,
              [self = this->shared_from_this()](std::error_code ec) { self->on_written(ec); });
}

template <class Link>
void Session<Link>::on_written(std::error_code ec) {
  write_in_flight_ = false;
  if (state_ == State::closed) return;
  if (ec) return abort(errc::connection_reset);
  std::size_t written = 0;
  for (const auto& payload : writing_->payloads) written += payload.size();
  context_->metrics.sent(writing_->payloads.size(), written);
  writing_.reset();  // given back, emptied
  bool more;
  bool relieved;
  {
    std::lock_guard lock(out_mutex());
    queued_bytes_ -= written;
    more = !queued_.empty() || link_.has_control();
    if (!more) {
      write_pending_ = false;
      // Caught up: a burst for a slow reader queued a pointer per message, and the
      // queue gives that memory back, not only the messages (test_connection_memory), as
      // the batch just written did when it was given back. Not before: under steady load
      // they keep their size and allocate nothing.
      reset_buffer(queued_);
    }
    relieved = queued_bytes_ <= context_->settings.limits().sendq_bytes() / 2;
  }
  // A link may finish a write at once, inside flush(): the next turn, so that flushing
  // again never recurses (and others get theirs first).
  if (more) schedule_write();
  if (drain_wait_ && relieved && state_ == State::open) resume();
  if (!more) close_if_drained();
}

// ---- ending --------------------------------------------------------------------

template <class Link>
void Session<Link>::shut_down() {
  asio::post(link_.get_executor(), [self = this->shared_from_this()] {
    if (self->state_ == State::opening) return self->close_now();
    if (self->state_ != State::open) return;
    auto words = self->encoder().encode({.notice = Notice::shutting_down});
    self->finish(errc::server_shutdown, &words);
  });
}

template <class Link>
void Session<Link>::expel(Payload words) {
  asio::post(link_.get_executor(), [self = this->shared_from_this(), words = std::move(words)] {
    self->finish(errc::banned, &words);
  });
}

template <class Link>
void Session<Link>::finish(errc reason, const Payload* last_words) {
  if (state_ != State::open) return;
  state_ = State::draining;
  reason_ = static_cast<std::uint8_t>(reason);
  if (last_words) send(*last_words);
  arm_drain_deadline();
  if (settled()) on_settled();
}

// The departure is announced only after the messages this connection sent before it:
// an ending connection leaves the Hub once the Hub has finished its commands.
template <class Link>
void Session<Link>::on_settled() {
  if (state_ == State::closed) return retire();
  if (state_ != State::draining) return;
  leave_hub();
  link_.goodbye(reason() == errc::server_shutdown);  // e.g. a WebSocket close frame, last
  if (link_.has_control()) kick_flush();
  close_if_drained();
}

template <class Link>
void Session<Link>::leave_hub() {
  if (left_hub_) return;
  left_hub_ = true;
  context_->hub.leave(*this);
}

template <class Link>
void Session<Link>::close_if_drained() {
  if (state_ != State::draining || !settled()) return;
  bool idle;
  {
    std::lock_guard lock(out_mutex());
    idle = !write_pending_;
  }
  if (idle) close_now();
}

template <class Link>
void Session<Link>::abort(errc reason) {
  if (state_ == State::closed) return;
  if (state_ == State::open) reason_ = static_cast<std::uint8_t>(reason);
  if (reason == errc::sendq_exceeded) {
    context_->metrics.sendq_drop();
    publish_error("sendq-exceeded", reason);
  }
  close_now();
}

template <class Link>
void Session<Link>::close_now() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  mark_closing();
  {
    std::lock_guard lock(out_mutex());
    output_closed_ = true;
    queued_.clear();
  }
  link_.close();
  if (settled()) return retire();
  // Messages this connection sent are still being stored: they are delivered, then
  // the departure announced (defer, on_settled), unless that takes too long.
  arm_drain_deadline();
}

template <class Link>
void Session<Link>::retire() {
  if (retired_) return;
  retired_ = true;
  services_.deadlines.cancel(*this);
  leave_hub();
  if (announced_) {
    context_->metrics.closed(metrics_slot_);
    Event event{.kind = EventKind::disconnect,
                .time = {},
                .connection = id(),
                .remote = remote(),
                .user = name(),
                .reason = reason_ == 0 ? std::error_code{} : make_error_code(reason())};
    context_->bus.publish(event);
  }
  context_->connections.remove(*this);  // may drop the last owning reference but ours
}

template <class Link>
std::mutex& Session<Link>::out_mutex() const noexcept {
  return context_->output_locks.of(id());
}

template <class Link>
void Session<Link>::publish_error(std::string_view detail, std::error_code reason) {
  Event event{.kind = EventKind::error,
              .time = {},
              .connection = id(),
              .remote = remote(),
              .user = name(),
              .detail = detail,
              .reason = reason};
  context_->bus.publish(event);
}

}  // namespace socketchat::detail
