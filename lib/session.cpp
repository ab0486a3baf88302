#include "detail/session.hpp"

#include <array>

#include <asio/post.hpp>
#include <asio/write.hpp>

#include "detail/core.hpp"
#include "socketchat/error.hpp"

namespace socketchat::detail {

namespace {

// Reads land here, one buffer per thread, so an idle connection holds no read buffer.
constexpr std::size_t read_chunk = 64 * 1024;
thread_local std::array<char, read_chunk> read_buffer;

}  // namespace

Session::Session(Core& core, TcpSocket socket, std::uint64_t id, std::string remote,
                 std::string address)
    : Peer(id, std::move(remote)),
      core_(core),
      protocol_(core.line_protocol()),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      decoder_(protocol_.make_decoder()),
      rate_(core.limits().rate_burst(), Clock::now()),
      address_(std::move(address)),
      connected_at_(Clock::now()),
      last_input_(connected_at_) {}

Session::~Session() = default;

void Session::start() {
  std::error_code ignored;
  socket_.non_blocking(true, ignored);
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  // A fixed kernel buffer: otherwise Linux grows it to megabytes for a reader that
  // does not read, and sendq_bytes would bound only what is queued beyond that.
  if (int bytes = static_cast<int>(core_.options().send_buffer_bytes); bytes > 0) {
    socket_.set_option(asio::socket_base::send_buffer_size(bytes), ignored);
  }
  Event event{.kind = EventKind::connect, .time = {}, .connection = id(), .remote = remote()};
  core_.bus().publish(event);
  arm_timer(idle_deadline());
  wait_readable();
}

// ---- reading -------------------------------------------------------------------

void Session::wait_readable() {
  socket_.async_wait(asio::socket_base::wait_read,
                     [self = shared_from_this()](std::error_code ec) { self->on_readable(ec); });
}

void Session::on_readable(std::error_code ec) {
  if (state_ != State::open) return;
  if (ec) return abort(errc::connection_reset);
  std::size_t n = socket_.read_some(asio::buffer(read_buffer), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return wait_readable();
  if (ec == asio::error::eof) return finish(errc::closed_by_client, nullptr);
  if (ec) return abort(errc::connection_reset);

  now_ = Clock::now();
  decode({read_buffer.data(), n}, n == read_buffer.size());
}

void Session::decode(std::string_view bytes, bool more_waiting) {
  std::size_t taken = decoder_->feed(bytes, *this);
  more_waiting_ = more_waiting;
  if (state_ != State::open) return;
  if (paused_) {
    stash_.assign(bytes.substr(taken));  // `bytes` may be the thread's read buffer
    return;
  }
  if (more_waiting_) {
    // More may be waiting: yield to other connections, then read again.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_readable({}); });
  } else {
    wait_readable();  // a short read drained the socket
  }
}

void Session::defer(std::function<void()> task) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), task = std::move(task)] {
    if (self->state_ == State::open) task();
    self->resume();
  });
}

void Session::resume() {
  if (!paused_) return;
  paused_ = false;
  if (state_ != State::open) return;
  std::string pending = std::move(stash_);
  stash_.clear();
  decode(pending, more_waiting_);
}

void Session::on_line() { last_input_ = now_; }

bool Session::rate_allows() {
  const auto& limits = core_.limits();
  if (rate_.allow(now_, limits.rate_per_second(), limits.rate_burst())) return true;
  reply_error(ReplyError::rate_limited);
  return false;
}

void Session::reply_error(ReplyError error) {
  send(protocol_.encode({.notice = Notice::error, .error = error}));
}

bool Session::on_command(const Command& command) {
  if (state_ != State::open) return false;
  if (!rate_allows()) return true;
  switch (core_.hub().handle(*this, command)) {
    case Hub::After::close: finish(errc::closed_by_client, nullptr); return false;
    case Hub::After::wait: paused_ = true; return false;  // the Hub resumes us (defer)
    case Hub::After::stay: break;
  }
  return state_ == State::open;
}

bool Session::on_decode_error(ReplyError error) {
  if (state_ != State::open) return false;
  if (rate_allows()) reply_error(error);
  return state_ == State::open;
}

// ---- timing --------------------------------------------------------------------

Session::Clock::time_point Session::idle_deadline() const {
  const auto& limits = core_.limits();
  auto deadline = Clock::time_point::max();
  if (auto idle = limits.idle_timeout(); idle.count() > 0) deadline = last_input_ + idle;
  if (auto login = limits.login_timeout(); !logged_in() && login.count() > 0) {
    deadline = std::min(deadline, connected_at_ + login);
  }
  return deadline;
}

void Session::arm_timer(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return;
  timer_.expires_at(deadline);
  timer_.async_wait([self = shared_from_this()](std::error_code ec) { self->on_timer(ec); });
}

// The timer is not moved on every line: when it fires early it re-arms for the rest.
void Session::on_timer(std::error_code ec) {
  if (ec == asio::error::operation_aborted || state_ == State::closed) return;
  // A wait that had already fired when the timer was moved still completes: check.
  auto deadline = state_ == State::draining ? drain_deadline_ : idle_deadline();
  if (state_ == State::draining && Clock::now() >= deadline) return abort(reason_);
  if (Clock::now() < deadline) return arm_timer(deadline);
  auto words = protocol_.encode({.notice = Notice::inactivity});
  bool never_logged_in = !logged_in();
  finish(never_logged_in ? errc::login_timeout : errc::idle_timeout, &words);
}

// ---- writing -------------------------------------------------------------------

void Session::send(Payload payload) {
  bool overflow = false;
  bool kick = false;
  {
    std::lock_guard lock(out_mutex_);
    if (output_closed_) return;
    std::size_t limit = core_.limits().sendq_bytes();
    if (limit != 0 && queued_bytes_ + payload.size() > limit) {
      output_closed_ = true;  // nothing more for a reader this far behind
      overflow = true;
    } else {
      queued_bytes_ += payload.size();
      queued_.push_back(std::move(payload));
      kick = !write_pending_;
      write_pending_ = true;
    }
  }
  if (overflow) {
    asio::post(socket_.get_executor(),
               [self = shared_from_this()] { self->abort(errc::sendq_exceeded); });
  } else if (kick) {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->flush(); });
  }
}

void Session::flush() {
  if (state_ == State::closed) return;
  {
    std::lock_guard lock(out_mutex_);
    writing_.swap(queued_);
  }
  if (writing_.empty()) {
    std::lock_guard lock(out_mutex_);
    write_pending_ = false;
    return;
  }
  buffers_.clear();
  for (const auto& payload : writing_) buffers_.emplace_back(payload.data(), payload.size());
  asio::async_write(socket_, buffers_,
                    [self = shared_from_this()](std::error_code ec, std::size_t) {
                      self->on_written(ec);
                    });
}

void Session::on_written(std::error_code ec) {
  if (state_ == State::closed) return;
  if (ec) return abort(errc::connection_reset);
  std::size_t written = 0;
  for (const auto& payload : writing_) written += payload.size();
  writing_.clear();
  bool more;
  {
    std::lock_guard lock(out_mutex_);
    queued_bytes_ -= written;
    more = !queued_.empty();
    if (!more) write_pending_ = false;
  }
  if (more) return flush();
  if (state_ == State::draining) close_now();
}

// ---- ending --------------------------------------------------------------------

void Session::shut_down() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->state_ != State::open) return;
    auto words = self->protocol_.encode({.notice = Notice::shutting_down});
    self->finish(errc::server_shutdown, &words);
  });
}

void Session::finish(std::error_code reason, const Payload* last_words) {
  if (state_ != State::open) return;
  state_ = State::draining;
  reason_ = reason;
  core_.hub().leave(*this);
  if (last_words) send(*last_words);
  bool idle;
  {
    std::lock_guard lock(out_mutex_);
    idle = !write_pending_;
  }
  if (idle) return close_now();
  drain_deadline_ = Clock::now() + core_.limits().shutdown_timeout();
  arm_timer(drain_deadline_);
}

void Session::abort(std::error_code reason) {
  if (state_ == State::closed) return;
  if (state_ == State::open) {
    reason_ = reason;
    core_.hub().leave(*this);
  }
  if (reason == errc::sendq_exceeded) {
    Event event{.kind = EventKind::error, .time = {}, .connection = id(), .remote = remote(),
                .user = name(), .detail = "sendq-exceeded", .reason = reason};
    core_.bus().publish(event);
  }
  close_now();
}

void Session::close_now() {
  if (state_ == State::closed) return;
  state_ = State::closed;
  {
    std::lock_guard lock(out_mutex_);
    output_closed_ = true;
    queued_.clear();
  }
  std::error_code ignored;
  socket_.shutdown(asio::socket_base::shutdown_both, ignored);
  socket_.close(ignored);
  timer_.cancel();
  Event event{.kind = EventKind::disconnect, .time = {}, .connection = id(), .remote = remote(),
              .user = name(), .reason = reason_};
  core_.bus().publish(event);
  core_.remove(*this, address_);  // may drop the last owning reference but ours
}

}  // namespace socketchat::detail
