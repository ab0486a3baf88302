#include "fanout.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "common.hpp"
#include "failure.hpp"

namespace bench {

namespace {

// Unpaced senders write batches of about this size while the socket takes them.
constexpr std::size_t batch_bytes = 16 * 1024;
constexpr int batches_per_turn = 8;
// The slow reader's receive buffer: small, so the server has to queue for it.
constexpr int slow_receive_buffer = 4096;

}  // namespace

// One extra user on the feed that stops reading as soon as it is ready.
class Fanout::SlowReader final : public Swarm::Listener {
 public:
  SlowReader(EventLoop& loop, const Dialect& dialect, SwarmOptions options)
      : loop_(loop), swarm_(loop, dialect, std::move(options), *this) {}

  void connect() { swarm_.start(1); }
  bool ready() const noexcept { return swarm_.all_ready(); }

  SlowReaderStatus drain(double seconds, std::uint64_t expected) {
    if (swarm_.lost_count() == 0) loop_.set_reading(swarm_.connection(0), true);
    Nanos end = now_ns() + static_cast<Nanos>(seconds * 1e9);
    while (swarm_.lost_count() == 0 && status_.received < expected && now_ns() < end) {
      loop_.run_once(10);
    }
    return status_;
  }

 private:
  void on_ready(std::size_t id) override { loop_.set_reading(swarm_.connection(id), false); }
  void on_line(std::size_t, const Classified& line, Nanos) override {
    if (line.kind == LineKind::feed_text) ++status_.received;
  }
  void on_lost(std::size_t, std::string_view why) override {
    status_.closed_by_server = true;
    status_.reason = std::string(why);
  }

  EventLoop& loop_;
  Swarm swarm_;
  SlowReaderStatus status_;
};

Fanout::Fanout(EventLoop& loop, const Dialect& dialect, const std::vector<Endpoint>& servers,
               const FanoutOptions& options, std::size_t concurrency)
    : loop_(loop),
      dialect_(dialect),
      options_(options),
      swarm_(loop, dialect, SwarmOptions::on_feed("u", servers, concurrency), *this),
      check_(options.users, options.senders, options.messages),
      sent_(options.senders),
      acked_(options.senders) {
  if (options_.users < 2) throw Failure(exit_setup, "fanout needs at least 2 users");
  if (options_.senders < 1 || options_.senders > options_.users) {
    throw Failure(exit_setup, "fanout needs 1 to --users senders");
  }
  if (options_.slow_reader) {
    slow_ = std::make_unique<SlowReader>(loop, dialect,
                                         SwarmOptions{.nick_prefix = "slow",
                                                      .servers = servers,
                                                      .sources = {},
                                                      .per_source = 0,
                                                      .concurrency = 1,
                                                      .join = true,
                                                      .sync = true,
                                                      .receive_buffer = slow_receive_buffer});
  }
}

Fanout::~Fanout() = default;

void Fanout::connect() {
  swarm_.start(options_.users);
  if (slow_) slow_->connect();
}

bool Fanout::ready() const noexcept {
  return swarm_.all_ready() && (!slow_ || slow_->ready());
}

void Fanout::begin() {
  began_ = now_ns();
  last_progress_ = began_;
  for (std::size_t sender = 0; sender < options_.senders; ++sender) produce(sender);
}

void Fanout::produce(std::size_t sender) {
  Connection& connection = swarm_.connection(user_of(sender));
  if (!connection.is_open()) return;
  if (options_.window == 0) {
    for (int turn = 0; turn < batches_per_turn && connection.pending_output() == 0; ++turn) {
      if (sender_done(sender)) return;
      batch_.clear();
      Nanos now = now_ns();
      while (batch_.size() < batch_bytes && !sender_done(sender)) append_message(sender, now);
      swarm_.send(user_of(sender), batch_);
    }
    // The socket took every batch of this turn: nothing is left to write, so no
    // on_drained would come. Ask for one, for the next turn, in a later round.
    if (!sender_done(sender) && connection.is_open() && connection.pending_output() == 0) {
      loop_.want_drained(connection);
    }
    return;
  }
  batch_.clear();
  Nanos now = now_ns();
  while (!sender_done(sender) && sent_[sender] - acked_[sender] < options_.window) {
    append_message(sender, now);
  }
  if (!batch_.empty()) swarm_.send(user_of(sender), batch_);
}

// A batch is stamped once, when it is made: it goes to the socket right after.
void Fanout::append_message(std::size_t sender, Nanos now) {
  // Fixed-width time: every run sends the same number of bytes.
  char text[96];
  auto result = fmt::format_to_n(text, sizeof text, "B {} {} {:016}", sender, sent_[sender], now);
  std::string_view body(text, result.size);
  if (options_.pad == 0) {
    dialect_.append_feed_message(batch_, body);
  } else {
    std::string padded(body);
    padded.push_back(' ');
    padded.append(options_.pad, 'x');
    dialect_.append_feed_message(batch_, padded);
  }
  ++sent_[sender];
  last_progress_ = now;
}

void Fanout::on_drained(std::size_t id) {
  if (options_.window != 0 || id < options_.users - options_.senders) return;
  produce(id - (options_.users - options_.senders));
}

void Fanout::on_line(std::size_t id, const Classified& line, Nanos now) {
  if (line.kind == LineKind::feed_text) return on_feed_text(id, line.arg, now);
  if (line.kind == LineKind::refused && server_errors_++ == 0) {
    first_server_error_ = fmt::format("{}: {}", swarm_.nick(id), line.arg);
  }
}

void Fanout::on_feed_text(std::size_t receiver, std::string_view text, Nanos now) {
  std::uint64_t sender = 0, sequence = 0, stamp = 0;
  bool parsed = false;
  if (text.starts_with("B ")) {
    text.remove_prefix(2);
    parsed = parse_number(text, sender) && parse_number(text, sequence) &&
             parse_number(text, stamp) && sender < options_.senders;
  }
  if (!parsed || receiver == user_of(sender)) {  // a sender must not hear itself either
    ++garbled_;
    return;
  }
  auto verdict = check_.record(receiver, sender, sequence);
  if (verdict == SequenceCheck::Verdict::duplicate) {
    ++duplicated_;
    return;
  }
  if (verdict == SequenceCheck::Verdict::out_of_range) {
    ++garbled_;
    return;
  }
  if (verdict == SequenceCheck::Verdict::reordered) ++reordered_;
  ++delivered_;
  latency_.record(now - static_cast<Nanos>(stamp));
  last_delivery_ = now;
  last_progress_ = now;
  if (receiver == designated_receiver(sender)) {
    acked_[sender] = std::max(acked_[sender], sequence + 1);
    // Refilled at once, one message per acknowledgement, in its own write: what a
    // client typing messages does. (Batching refills per read flatters servers that
    // like large reads and penalises those that process a few commands per round.)
    if (options_.window != 0) produce(sender);
  }
}

void Fanout::on_lost(std::size_t id, std::string_view why) {
  if (receivers_lost_++ == 0) first_loss_reason_ = fmt::format("{}: {}", swarm_.nick(id), why);
}

bool Fanout::finished(Nanos now) const noexcept {
  bool all_sent = true;
  std::uint64_t sent = 0;
  for (std::size_t sender = 0; sender < options_.senders; ++sender) {
    all_sent = all_sent && sender_done(sender);
    sent += sent_[sender];
  }
  if (all_sent && delivered_ >= sent * (options_.users - 1)) return true;
  return static_cast<double>(now - last_progress_) > options_.drain_seconds * 1e9;
}

FanoutTotals Fanout::totals() const {
  FanoutTotals totals;
  for (std::size_t sender = 0; sender < options_.senders; ++sender) {
    totals.sent += sent_[sender];
    for (std::size_t receiver = 0; receiver < options_.users; ++receiver) {
      if (receiver == user_of(sender)) continue;
      totals.lost += sent_[sender] - check_.received(receiver, sender);
    }
    const Connection& connection = swarm_.connection(user_of(sender));
    if (connection.is_open()) totals.unsent_bytes += connection.pending_output();
  }
  totals.expected = totals.sent * (options_.users - 1);
  totals.delivered = delivered_;
  totals.duplicated = duplicated_;
  totals.reordered = reordered_;
  totals.garbled = garbled_;
  totals.receivers_lost = receivers_lost_;
  totals.first_loss_reason = first_loss_reason_;
  totals.server_errors = server_errors_;
  totals.first_server_error = first_server_error_;
  totals.seconds = static_cast<double>(std::max(last_delivery_ - began_, Nanos{1})) / 1e9;
  return totals;
}

SlowReaderStatus Fanout::drain_slow_reader(double seconds) {
  if (!slow_) return {};
  std::uint64_t sent = 0;
  for (auto count : sent_) sent += count;
  return slow_->drain(seconds, sent);
}

}  // namespace bench
