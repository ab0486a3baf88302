#pragma once

// The fanout workload: `users` clients on the shared feed, the last `senders` of them
// sending `messages` each. Every text is "B <sender> <sequence> <send time ns>", so
// each receiver checks order, loss and duplicates per sender and measures latency.
//
// With a window W > 0, a sender keeps at most W messages in flight: one counts as
// arrived when the sender's designated receiver (user 0, or user 1 for user 0
// itself) has it. With W = 0, senders write as fast as their sockets take it.
//
// Used alone (scenario fanout) and as background load (scenario latency).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dialect.hpp"
#include "event_loop.hpp"
#include "histogram.hpp"
#include "sequence_check.hpp"
#include "swarm.hpp"

namespace bench {

struct FanoutOptions {
  std::size_t users = 100;
  std::size_t senders = 10;
  std::uint64_t messages = 2000;  // per sender; a cap when stop_sending() ends it early
  std::uint64_t window = 0;       // 0 = unpaced
  std::size_t pad = 0;            // extra bytes of text per message
  bool slow_reader = false;       // one more user on the feed that never reads
  double drain_seconds = 5;       // no progress this long ends the run (with losses)
};

struct FanoutTotals {
  std::uint64_t sent = 0;       // messages written by all senders
  std::uint64_t expected = 0;   // deliveries due: sent x (users - 1)
  std::uint64_t delivered = 0;  // distinct deliveries that arrived
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t garbled = 0;         // not a benchmark text, or a sender hearing itself
  std::uint64_t receivers_lost = 0;  // connections the server closed mid-run
  std::string first_loss_reason;
  std::uint64_t server_errors = 0;  // error replies (e.g. ERR rate-limited) after login
  std::string first_server_error;
  std::size_t unsent_bytes = 0;  // still in the senders' buffers at the end
  double seconds = 0;            // from the first send to the last delivery

  bool correct() const noexcept {
    return lost == 0 && duplicated == 0 && reordered == 0 && garbled == 0 && receivers_lost == 0 &&
           server_errors == 0;
  }
};

struct SlowReaderStatus {
  std::uint64_t received = 0;  // feed messages it had when it finally read
  bool closed_by_server = false;
  std::string reason;
};

class Fanout final : private Swarm::Listener {
 public:
  // Client i connects to servers[i % servers.size()]; the slow reader to servers[0].
  Fanout(EventLoop& loop, const Dialect& dialect, const std::vector<Endpoint>& servers,
         const FanoutOptions& options, std::size_t concurrency);
  ~Fanout() override;

  void connect();
  bool ready() const noexcept;
  void begin();
  void stop_sending() noexcept { stopped_ = true; }
  // Every message sent has reached every receiver, or nothing moved for drain_seconds.
  bool finished(Nanos now) const noexcept;

  FanoutTotals totals() const;
  const Histogram& latency() const noexcept { return latency_; }
  // Reads what the slow reader was sent, for at most `seconds`.
  SlowReaderStatus drain_slow_reader(double seconds);

 private:
  class SlowReader;

  void on_line(std::size_t id, const Classified& line, Nanos now) override;
  void on_drained(std::size_t id) override;
  void on_lost(std::size_t id, std::string_view why) override;

  std::size_t user_of(std::size_t sender) const noexcept {
    return options_.users - options_.senders + sender;
  }
  std::size_t designated_receiver(std::size_t sender) const noexcept {
    return user_of(sender) == 0 ? 1 : 0;
  }
  bool sender_done(std::size_t sender) const noexcept {
    return stopped_ || sent_[sender] >= options_.messages;
  }
  void produce(std::size_t sender);
  void append_message(std::size_t sender, Nanos now);
  void on_feed_text(std::size_t receiver, std::string_view text, Nanos now);

  EventLoop& loop_;
  const Dialect& dialect_;
  FanoutOptions options_;
  Swarm swarm_;
  std::unique_ptr<SlowReader> slow_;
  SequenceCheck check_;
  Histogram latency_;

  std::vector<std::uint64_t> sent_;   // per sender
  std::vector<std::uint64_t> acked_;  // per sender: arrived at its designated receiver
  std::string batch_;
  bool stopped_ = false;
  Nanos began_ = 0;
  Nanos last_delivery_ = 0;
  Nanos last_progress_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t reordered_ = 0;
  std::uint64_t garbled_ = 0;
  std::uint64_t receivers_lost_ = 0;
  std::string first_loss_reason_;
  std::uint64_t server_errors_ = 0;
  std::string first_server_error_;
};

}  // namespace bench
