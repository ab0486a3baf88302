// Scenario latency: request/reply round trips (PING/PONG) on one connection, alone or
// while a windowed fanout loads the server.

#include <atomic>
#include <exception>
#include <optional>
#include <string>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include "failure.hpp"
#include "report.hpp"
#include "scenarios.hpp"
#include "transport.hpp"

namespace bench {

namespace {

// One client pinging back to back: the next PING leaves when the last PONG arrives.
class Probe final : private Swarm::Listener {
 public:
  Probe(EventLoop& loop, const Dialect& dialect, const Endpoint& server, std::uint64_t count,
        std::uint64_t warmup)
      : dialect_(dialect),
        swarm_(loop, dialect,
               SwarmOptions{.nick_prefix = "probe",
                            .servers = {server},
                            .sources = {},
                            .per_source = 0,
                            .concurrency = 1,
                            .join = false,
                            .sync = true,
                            .receive_buffer = 0},
               *this),
        total_(count + warmup),
        warmup_(warmup) {}

  void connect() { swarm_.start(1); }
  bool ready() const noexcept { return swarm_.all_ready(); }
  bool done() const noexcept { return answered_ == total_; }
  std::uint64_t answered() const noexcept { return answered_; }
  const Histogram& round_trips() const noexcept { return round_trips_; }

  void begin() { ping(); }

 private:
  void ping() {
    token_ = fmt::format("t{}", answered_);
    sent_at_ = now_ns();
    swarm_.send(0, dialect_.ping(token_));
  }

  void on_line(std::size_t, const Classified& line, Nanos now) override {
    if (line.kind != LineKind::pong || line.arg != token_) return;
    if (answered_ >= warmup_) round_trips_.record(now - sent_at_);
    if (++answered_ < total_) ping();
  }

  void on_lost(std::size_t, std::string_view why) override {
    throw Failure(exit_setup, fmt::format("the probe connection ended: {}", why));
  }

  const Dialect& dialect_;
  Swarm swarm_;
  std::uint64_t total_;
  std::uint64_t warmup_;
  std::uint64_t answered_ = 0;
  std::string token_;
  Nanos sent_at_ = 0;
  Histogram round_trips_;
};

// The probe runs on a thread and an event loop of its own: in the same loop as the
// background fanout, a PONG would wait for the load generator to read a round of
// fanout deliveries first, and the figure would be the load generator's delay as much
// as the server's. The probe thread sleeps in epoll between round trips, so the
// scheduler wakes it as soon as a PONG arrives, even with the fanout busy on the core.
class ProbeThread {
 public:
  ProbeThread(const CommonOptions& common, const LatencyOptions& options, const Dialect& dialect,
              const Deadline& deadline)
      : thread_([this, &common, &options, &dialect, &deadline] {
          try {
            run(common, options, dialect, deadline);
          } catch (...) {
            failure_ = std::current_exception();
          }
          finished_ = true;
        }) {}
  ~ProbeThread() {
    abandon_ = true;
    thread_.join();
  }

  bool ready() const noexcept { return ready_ || finished_; }
  bool finished() const noexcept { return finished_; }
  void go(Nanos stop_pinging) {
    stop_pinging_ = stop_pinging;
    go_ = true;
  }
  // After finished(): rethrows what ended the probe early, if anything did.
  void check() const {
    if (failure_) std::rethrow_exception(failure_);
  }
  const Histogram& round_trips() const noexcept { return round_trips_; }
  std::uint64_t answered() const noexcept { return answered_; }
  bool done() const noexcept { return done_; }
  double wall_seconds() const noexcept { return wall_; }

 private:
  void run(const CommonOptions& common, const LatencyOptions& options, const Dialect& dialect,
           const Deadline& deadline) {
    EventLoop loop(make_transport(common.transport, common.server()));
    Probe probe(loop, dialect, common.server(), options.count, options.warmup);
    probe.connect();
    run_until(loop, deadline, "logging in the probe", [&] { return probe.ready() || abandon_; });
    ready_ = true;
    run_until(loop, deadline, "waiting for the background", [&] { return go_ || abandon_; });
    Nanos start = now_ns();
    probe.begin();
    run_until(loop, deadline, "pinging",
              [&] { return probe.done() || abandon_ || now_ns() > stop_pinging_; });
    wall_ = static_cast<double>(now_ns() - start) / 1e9;
    round_trips_ = probe.round_trips();
    answered_ = probe.answered();
    done_ = probe.done();
  }

  std::atomic<bool> ready_ = false;
  std::atomic<bool> go_ = false;
  std::atomic<bool> abandon_ = false;
  std::atomic<bool> finished_ = false;
  std::atomic<Nanos> stop_pinging_ = 0;
  std::exception_ptr failure_;
  Histogram round_trips_;
  std::uint64_t answered_ = 0;
  bool done_ = false;
  double wall_ = 0;
  std::thread thread_;  // last: starts once everything above is in place
};

// The background fanout can keep this process's core busy (a server that delivers more
// keeps it busier): a PONG would then wait for the fanout's time slice to end before
// the probe thread runs, and the figure would include the load generator's own
// scheduling delay. The fanout's thread (this one) runs at a lower priority instead, so
// the probe's wake-up takes the core at once. Raising one's own nice value needs no
// privilege.
void yield_to_probe() {
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10) != 0)
    fmt::print(stderr, "latency: could not lower the background fanout's priority\n");
}

}  // namespace

int run_latency(const CommonOptions& common, const LatencyOptions& options) {
  auto dialect = make_dialect(common.dialect, common.line_feed, common.caps);
  Deadline deadline(common.timeout_seconds);
  EventLoop loop(make_transport(common.transport, common.server()));
  std::optional<Fanout> background;
  if (options.background) {
    if (options.fanout.window == 0) {
      throw Failure(exit_setup, "the background fanout needs a --window of 1 or more");
    }
    background.emplace(loop, *dialect, common.servers(), options.fanout, common.concurrency);
    background->connect();
  }
  ProbeThread probe(common, options, *dialect, deadline);
  if (background) yield_to_probe();
  run_until(loop, deadline, "logging in",
            [&] { return probe.ready() && (!background || background->ready()); });
  probe.check();

  CpuMeter cpu(common.server_pid);
  cpu.start();
  Nanos start = now_ns();
  if (background) background->begin();
  probe.go(start + static_cast<Nanos>(options.max_seconds * 1e9));
  bool background_outlasted = true;
  run_until(loop, deadline, "pinging", [&] {
    if (background && background->finished(now_ns())) background_outlasted = false;
    return probe.finished();
  });
  probe.check();
  if (background) {
    background->stop_sending();
    run_until(loop, deadline, "draining the background fanout",
              [&] { return background->finished(now_ns()); });
  }
  cpu.stop();
  double wall = static_cast<double>(now_ns() - start) / 1e9;

  Report report(fmt::format(
      "latency  dialect={}{}{} round trips={}{}", dialect->name(), common.caps_label(),
      common.transport_label(), options.count,
      background ? fmt::format(" with background fanout users={} "
                               "senders={} window={}",
                               options.fanout.users, options.fanout.senders, options.fanout.window)
                 : std::string()));
  report.json()["scenario"] = options.background ? "latency_background" : "latency";
  report.json()["dialect"] = dialect->name();
  report.json()["transport"] = common.transport;
  report.json()["caps"] = common.caps;
  report.json()["count"] = options.count;
  report.latency("round trip", "rtt", probe.round_trips());
  report.row("round trips/s",
             human_count(static_cast<double>(probe.answered()) / probe.wall_seconds()));
  if (!probe.done()) {
    report.warn(fmt::format("stopped after --max-seconds {}: {} of {} round trips done",
                            options.max_seconds, probe.answered(), options.count + options.warmup));
  }
  bool correct = true;
  if (background) {
    FanoutTotals totals = background->totals();
    report_fanout(report, options.fanout, totals, background->latency(), "background ");
    report.json()["background"] = true;
    correct = totals.correct();
    if (!background_outlasted) {
      report.warn("the background fanout ended before the probes: raise --messages");
    }
  }
  report.cpu(cpu, wall);
  report.json()["ok"] = correct;
  report.print();
  return correct ? exit_ok : exit_incorrect;
}

}  // namespace bench
