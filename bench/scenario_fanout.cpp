// Scenario fanout: throughput, latency and correctness of the shared feed.

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "failure.hpp"
#include "report.hpp"
#include "scenarios.hpp"
#include "transport.hpp"

namespace bench {

namespace {

constexpr double slow_reader_drain_seconds = 3;

}  // namespace

void report_fanout(Report& report, const FanoutOptions& options, const FanoutTotals& totals,
                   const Histogram& latency, std::string_view prefix) {
  auto row = [&](std::string_view label, std::string value) {
    report.row(fmt::format("{}{}", prefix, label), std::move(value));
  };
  double rate = static_cast<double>(totals.delivered) / totals.seconds;
  row("deliveries", fmt::format("{} of {} ({} messages x {} receivers)",
                                human_count(static_cast<double>(totals.delivered)),
                                human_count(static_cast<double>(totals.expected)),
                                human_count(static_cast<double>(totals.sent)), options.users - 1));
  row("time", fmt::format("{:.3f} s, first send to last delivery", totals.seconds));
  row("deliveries/s", human_count(rate));
  row("messages/s sent", human_count(static_cast<double>(totals.sent) / totals.seconds));
  report.latency(fmt::format("{}latency", prefix), "latency", latency);
  row("lost / duplicated / reordered",
      fmt::format("{} / {} / {}", totals.lost, totals.duplicated, totals.reordered));
  if (totals.garbled != 0) row("garbled", std::to_string(totals.garbled));
  if (totals.receivers_lost != 0) {
    row("clients dropped by server",
        fmt::format("{} (first: {})", totals.receivers_lost, totals.first_loss_reason));
  }
  if (totals.server_errors != 0) {
    row("error replies from server",
        fmt::format("{} (first: {})", totals.server_errors, totals.first_server_error));
  }
  if (totals.unsent_bytes != 0) {
    row("unsent bytes", fmt::format("{} (the server stopped reading)", totals.unsent_bytes));
  }
  auto& json = report.json();
  json["users"] = options.users;
  json["senders"] = options.senders;
  json["messages"] = options.messages;
  json["window"] = options.window;
  json["pad"] = options.pad;
  json["sent"] = totals.sent;
  json["expected"] = totals.expected;
  json["delivered"] = totals.delivered;
  json["seconds"] = totals.seconds;
  json["deliveries_per_s"] = std::round(rate);
  json["lost"] = totals.lost;
  json["duplicated"] = totals.duplicated;
  json["reordered"] = totals.reordered;
  json["garbled"] = totals.garbled;
  json["clients_dropped"] = totals.receivers_lost;
  json["server_errors"] = totals.server_errors;
  if (!totals.correct()) {
    report.warn("messages were lost, duplicated, reordered or garbled");
  }
}

int run_fanout(const CommonOptions& common, const FanoutOptions& options) {
  auto dialect = make_dialect(common.dialect, common.line_feed, common.caps);
  Deadline deadline(common.timeout_seconds);
  std::vector<Endpoint> servers = common.servers();
  EventLoop loop(make_transport(common.transport, servers.front()));
  Fanout fanout(loop, *dialect, servers, options, common.concurrency);

  Nanos login_start = now_ns();
  fanout.connect();
  run_until(loop, deadline, "logging in", [&] { return fanout.ready(); });
  Nanos login_time = now_ns() - login_start;

  CpuMeter cpu(common.server_pid);
  cpu.start();
  Nanos start = now_ns();
  fanout.begin();
  run_until(loop, deadline, "delivering", [&] { return fanout.finished(now_ns()); });
  cpu.stop();
  double wall = static_cast<double>(now_ns() - start) / 1e9;

  FanoutTotals totals = fanout.totals();
  Report report(fmt::format(
      "fanout  dialect={}{}{}{} users={} senders={} messages={} window={}{}", dialect->name(),
      common.caps_label(), common.transport_label(),
      common.ports.empty() ? std::string() : fmt::format(" ports={}", fmt::join(common.ports, ",")),
      options.users, options.senders, options.messages, options.window,
      options.slow_reader ? " +slow-reader" : ""));
  report.json()["scenario"] = "fanout";
  report.json()["dialect"] = dialect->name();
  report.json()["transport"] = common.transport;
  report.json()["caps"] = common.caps;
  report.row("login",
             fmt::format("{} users ready in {}", options.users, human_duration(login_time)));
  report_fanout(report, options, totals, fanout.latency());
  report.cpu(cpu, wall);
  if (options.slow_reader) {
    SlowReaderStatus slow = fanout.drain_slow_reader(slow_reader_drain_seconds);
    report.row("slow reader",
               slow.closed_by_server
                   ? fmt::format("dropped by the server ({}) after {} messages", slow.reason,
                                 human_count(static_cast<double>(slow.received)))
                   : fmt::format("kept; read {} of {} messages afterwards",
                                 human_count(static_cast<double>(slow.received)),
                                 human_count(static_cast<double>(totals.sent))));
    report.json()["slow_reader"] = {{"dropped", slow.closed_by_server},
                                    {"received", slow.received}};
  }
  bool correct = totals.correct();
  report.json()["ok"] = correct;
  report.print();
  return correct ? exit_ok : exit_incorrect;
}

}  // namespace bench
