#include "session/local_session.hpp"

#include <fmt/format.h>
#include <asio/post.hpp>

#include "hub/hub.hpp"
#include "server/connection_table.hpp"
#include "server/metrics.hpp"
#include "server/workers.hpp"
#include "sinks/event_bus.hpp"
#include "socketchat/error.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

// Splits one line of the line protocol into the parts an embedder wants.
Incoming parse_incoming(std::string_view line) {
  Incoming in{.line = line};
  std::string_view rest;
  in.kind = take_word(line, rest);
  if (in.kind == "MSG" || in.kind == "DM") {
    in.from = take_word(rest, in.text);
  } else if (in.kind == "SAY") {
    in.room = take_word(rest, rest);
    in.from = take_word(rest, in.text);
  } else {
    in.text = rest;
  }
  return in;
}

}  // namespace

LocalSession::LocalSession(const SessionContext& context, const Protocol& protocol,
                           LocalUser::Handler handler)
    : Connection(context.connections.next_connection_id(), "local"),
      context_(context),
      protocol_(protocol),
      strand_(asio::make_strand(context.workers.next())),
      decoder_(protocol_.make_decoder()),
      handler_(std::move(handler)) {}

void LocalSession::log_in(std::string_view name) {
  if (auto refusal = context_.hub.try_login(*this, name)) {
    throw config_error(fmt::format("cannot log in as '{}': {}", name, code_of(*refusal)));
  }
  context_.metrics.opened(Metrics::local);
  Event connect{.kind = EventKind::connect, .time = {}, .connection = id(), .remote = remote()};
  context_.bus.publish(connect);
  Event login{.kind = EventKind::login,
              .time = {},
              .connection = id(),
              .remote = remote(),
              .user = this->name()};
  context_.bus.publish(login);
}

void LocalSession::submit(std::string line) {
  line.push_back('\n');
  enqueue(std::move(line));
}

void LocalSession::submit(const Command& command) {
  enqueue(OwnedCommand(command));
}

void LocalSession::enqueue(Input input) {
  asio::post(strand_, [self = shared_from_this(), input = std::move(input)]() mutable {
    if (!self->open_) return;
    self->queued_.push_back(std::move(input));
    self->run_queued();
  });
}

void LocalSession::run_queued() {
  while (open_ && !paused_ && !queued_.empty()) {
    Input input = std::move(queued_.front());
    queued_.pop_front();
    if (const auto* line = std::get_if<std::string>(&input)) {
      decoder_->feed(*line, *this);
    } else {
      run_typed(std::get<OwnedCommand>(input));
    }
  }
  // A disconnect cancels nothing submitted before it.
  if (close_requested_ && !paused_ && queued_.empty()) close_on_strand();
}

// What the line protocol's decoder would check and clean for a client's line: the text
// others will read is valid UTF-8, without control characters, trimmed.
void LocalSession::run_typed(const OwnedCommand& owned) {
  if (!is_valid_utf8(owned.name) || !is_valid_utf8(owned.text)) {
    on_decode_error(ReplyError::invalid_utf8);
    return;
  }
  Command command = owned.view();
  std::string scratch;
  const bool text = command.verb == Verb::msg || command.verb == Verb::dm ||
                    command.verb == Verb::say || command.verb == Verb::ping;
  if (text) command.text = trim(strip_controls(command.text, scratch));
  on_command(command);
}

// One command at a time: an in-process user never has many messages in flight.
Handled LocalSession::on_command(const Command& command) {
  const std::uint32_t refusals_before = refusals();
  switch (context_.hub.handle(*this, command)) {
    case Hub::After::close:
      close_on_strand();
      break;
    case Hub::After::pending:
    case Hub::After::wait:
      paused_ = true;
      break;
    case Hub::After::stay:
      break;
  }
  return {open_ && !paused_ ? Flow::next : Flow::stop, refusals() != refusals_before};
}

// The line protocol answers everything through the Hub; kept for the interface.
Flow LocalSession::on_reply(Payload payload) {
  send(std::move(payload));
  return open_ ? Flow::next : Flow::stop;
}

void LocalSession::defer(std::function<void()> task) {
  asio::post(strand_, [self = shared_from_this(), task = std::move(task)] {
    task();  // a message is delivered to the others even if this user has gone
    self->context_.connections.hub_work_ended();
    self->paused_ = false;
    self->run_queued();
  });
}

bool LocalSession::on_decode_error(ReplyError error) {
  send(protocol_.encode({.notice = Notice::error, .error = error}));
  return open_;
}

void LocalSession::send(Payload payload) {
  asio::post(strand_, [self = shared_from_this(), payload = std::move(payload)] {
    if (!self->open_) return;
    std::string_view bytes = payload.view();
    while (!bytes.empty()) {
      auto lf = bytes.find('\n');
      self->deliver(bytes.substr(0, lf));
      if (lf == std::string_view::npos) break;
      bytes.remove_prefix(lf + 1);
    }
  });
}

// Exceptions from the embedder's handler are reported, never let into the server.
void LocalSession::deliver(std::string_view line) {
  auto owner = owner_.lock();
  if (!owner || !handler_) return;
  try {
    handler_(*owner, parse_incoming(line));
  } catch (const std::exception& e) {
    Event event{.kind = EventKind::error,
                .time = {},
                .connection = id(),
                .remote = remote(),
                .user = name(),
                .text = e.what(),
                .detail = "handler-failed"};
    context_.bus.publish(event);
  } catch (...) {
    Event event{.kind = EventKind::error,
                .time = {},
                .connection = id(),
                .remote = remote(),
                .user = name(),
                .detail = "handler-failed"};
    context_.bus.publish(event);
  }
}

void LocalSession::close() {
  asio::post(strand_, [self = shared_from_this()] {
    self->close_requested_ = true;
    self->run_queued();
  });
}

void LocalSession::expel(Payload) {
  asio::post(strand_, [self = shared_from_this()] {
    if (!self->open_) return;
    self->deliver("INFO banned");
    self->queued_.clear();
    self->close_requested_ = true;
    self->run_queued();
  });
}

void LocalSession::shut_down() {
  asio::post(strand_, [self = shared_from_this()] {
    if (!self->open_) return;
    self->deliver("INFO server shutting down");
    self->queued_.clear();  // what the Hub has taken is still finished (run_queued)
    self->close_requested_ = true;
    self->run_queued();
  });
}

void LocalSession::close_on_strand() {
  if (!open_) return;
  open_ = false;
  mark_closing();
  context_.metrics.closed(Metrics::local);
  context_.hub.leave(*this);
  Event event{.kind = EventKind::disconnect,
              .time = {},
              .connection = id(),
              .remote = remote(),
              .user = name(),
              .reason = errc::closed_by_client};
  context_.bus.publish(event);
  context_.connections.remove(*this);
}

}  // namespace socketchat::detail
