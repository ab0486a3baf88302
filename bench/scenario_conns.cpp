// Scenario conns: many idle logged-in connections. How long they take to connect and
// log in, what each costs the server in resident memory, and whether a sample of
// them still answers PING.

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "failure.hpp"
#include "report.hpp"
#include "scenarios.hpp"
#include "transport.hpp"

namespace bench {

namespace {

// Files the load generator needs besides its connections.
constexpr long spare_files = 64;

// The connections, and the PINGs sent to a sample of them.
class Crowd final : public Swarm::Listener {
 public:
  Crowd(EventLoop& loop, const Dialect& dialect, SwarmOptions options)
      : dialect_(dialect), swarm_(loop, dialect, std::move(options), *this) {}

  Swarm& swarm() noexcept { return swarm_; }

  // PINGs `sample` connections spread evenly over all of them, all at once.
  void ping_sample(std::size_t sample) {
    std::size_t count = swarm_.size();
    sample = std::min(sample, count);
    sent_at_.assign(count, 0);
    for (std::size_t i = 0; i < sample; ++i) {
      std::size_t id = i * count / sample;
      sent_at_[id] = now_ns();
      swarm_.send(id, dialect_.ping("sample"));
      ++awaited_;
    }
  }
  bool sample_answered() const noexcept { return awaited_ == 0; }
  std::size_t awaited() const noexcept { return awaited_; }
  const Histogram& round_trips() const noexcept { return round_trips_; }
  const std::string& first_loss() const noexcept { return first_loss_; }

 private:
  void on_line(std::size_t id, const Classified& line, Nanos now) override {
    if (line.kind != LineKind::pong || line.arg != "sample" || id >= sent_at_.size() ||
        sent_at_[id] == 0) {
      return;
    }
    round_trips_.record(now - sent_at_[id]);
    sent_at_[id] = 0;
    --awaited_;
  }
  void on_lost(std::size_t id, std::string_view why) override {
    if (first_loss_.empty()) first_loss_ = fmt::format("{}: {}", swarm_.nick(id), why);
    if (id < sent_at_.size() && sent_at_[id] != 0) {
      sent_at_[id] = 0;
      --awaited_;
    }
  }

  const Dialect& dialect_;
  Swarm swarm_;
  std::vector<Nanos> sent_at_;
  std::size_t awaited_ = 0;
  Histogram round_trips_;
  std::string first_loss_;
};

// A single client logging in and answering one PING: how soon a server that has just
// seen every connection close serves a newcomer again.
class Latecomer final : public Swarm::Listener {
 public:
  Latecomer(EventLoop& loop, const Dialect& dialect, const Endpoint& server)
      : swarm_(loop, dialect,
               SwarmOptions{.nick_prefix = "late",
                            .servers = {server},
                            .sources = {},
                            .per_source = 0,
                            .concurrency = 1,
                            .join = false,
                            .sync = true,
                            .receive_buffer = 0},
               *this) {}
  void connect() { swarm_.start(1); }
  bool ready() const noexcept { return swarm_.all_ready(); }

 private:
  void on_line(std::size_t, const Classified&, Nanos) override {}
  void on_lost(std::size_t, std::string_view) override {}
  Swarm swarm_;
};

}  // namespace

int run_conns(const CommonOptions& common, const ConnsOptions& options) {
  auto dialect = make_dialect(common.dialect, common.line_feed);
  Deadline deadline(common.timeout_seconds);
  long files = raise_file_limit();
  if (static_cast<long>(options.connections) + spare_files > files) {
    throw Failure(exit_setup, fmt::format("{} connections need more than the open-file limit "
                                          "of {} (ulimit -Hn)",
                                          options.connections, files));
  }
  EventLoop loop(make_transport(common.transport, common.server()));
  Crowd crowd(loop, *dialect,
              SwarmOptions{.nick_prefix = "c",
                           .servers = {common.server()},
                           .sources = source_addresses(options.connections, options.per_source),
                           .per_source = options.per_source,
                           .concurrency = common.concurrency,
                           .join = false,
                           .sync = false,
                           .receive_buffer = 0});
  std::optional<long> rss_before = resident_kib(common.server_pid);

  CpuMeter cpu(common.server_pid);
  cpu.start();
  Nanos start = now_ns();
  crowd.swarm().start(options.connections);
  run_until(loop, deadline, "connecting and logging in", [&] { return crowd.swarm().all_ready(); });
  Nanos login_time = now_ns() - start;
  cpu.stop();
  std::optional<long> rss_at_once = resident_kib(common.server_pid);
  const Nanos settled = now_ns() + static_cast<Nanos>(options.settle * 1e9);
  run_until(loop, deadline, "settling", [&] { return now_ns() >= settled; });
  std::optional<long> rss_after = resident_kib(common.server_pid);

  crowd.ping_sample(options.sample);
  run_until(loop, deadline, "pinging the sample", [&] { return crowd.sample_answered(); });
  std::size_t dropped = crowd.swarm().lost_count();

  Report report(fmt::format("conns  dialect={}{} connections={} sources={}", dialect->name(),
                            common.transport_label(), options.connections,
                            (options.connections + options.per_source - 1) / options.per_source));
  auto& json = report.json();
  json["scenario"] = "conns";
  json["dialect"] = dialect->name();
  json["transport"] = common.transport;
  json["connections"] = options.connections;
  double seconds = static_cast<double>(login_time) / 1e9;
  report.row("connect + log in, all",
             fmt::format("{:.3f} s ({}/s)", seconds, human_count(options.connections / seconds)));
  json["login_s"] = std::round(seconds * 1000) / 1000;
  json["settle_s"] = options.settle;
  json["logins_per_s"] = std::round(options.connections / seconds);
  auto per_connection = [&](long after) {
    return static_cast<double>(after - *rss_before) / static_cast<double>(options.connections);
  };
  if (rss_before && rss_after) {
    report.row("server RSS", fmt::format("{} KiB before, {} KiB after: {:.2f} KiB per connection",
                                         human_count(*rss_before), human_count(*rss_after),
                                         per_connection(*rss_after)));
    json["rss_before_kib"] = *rss_before;
    json["rss_after_kib"] = *rss_after;
    json["rss_per_conn_kib"] = std::round(per_connection(*rss_after) * 100) / 100;
  }
  if (rss_before && rss_at_once && options.settle > 0) {
    report.row("server RSS at the last login",
               fmt::format("{} KiB: {:.2f} KiB per connection", human_count(*rss_at_once),
                           per_connection(*rss_at_once)));
    json["rss_at_once_per_conn_kib"] = std::round(per_connection(*rss_at_once) * 100) / 100;
  }
  std::size_t sampled = std::min(options.sample, options.connections);
  std::size_t answered = crowd.round_trips().count();
  report.row("sample answering PING", fmt::format("{} of {}", answered, sampled));
  report.latency("sample PING", "sample_rtt", crowd.round_trips());
  json["sample"] = sampled;
  json["sample_answered"] = answered;
  if (dropped != 0) {
    report.row("connections dropped", fmt::format("{} (first: {})", dropped, crowd.first_loss()));
  }
  json["dropped"] = dropped;
  report.cpu(cpu, seconds);

  if (options.teardown_timeout > 0) {
    crowd.swarm().close_all();
    Nanos closed = now_ns();
    Latecomer late(loop, *dialect, common.server());
    late.connect();
    Nanos end = closed + static_cast<Nanos>(options.teardown_timeout * 1e9);
    while (!late.ready() && now_ns() < end) loop.run_once(10);
    double after = static_cast<double>(now_ns() - closed) / 1e9;
    if (late.ready()) {
      report.row("after closing all: a new login answered in", fmt::format("{:.3f} s", after));
      json["teardown_s"] = std::round(after * 1000) / 1000;
    } else {
      report.row("after closing all: a new login answered in",
                 fmt::format("more than {:.0f} s (gave up)", options.teardown_timeout));
      json["teardown_s"] = nullptr;
      report.warn("the server did not serve a new client soon after the mass disconnect");
    }
  }

  bool correct = dropped == 0 && answered == sampled;
  json["ok"] = correct;
  report.print();
  return correct ? exit_ok : exit_incorrect;
}

}  // namespace bench
