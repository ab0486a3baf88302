// socketchat_loadgen: drives a chat server (socketchat's line protocol or IRC) over
// loopback and reports throughput, latency, memory and correctness.

#include <signal.h>

#include <cstdio>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "failure.hpp"
#include "scenarios.hpp"

namespace {

using bench::CommonOptions;

void add_common(CLI::App& app, CommonOptions& common) {
  app.add_option("--host", common.host, "Server address, in 127.0.0.0/8")->capture_default_str();
  app.add_option("--port", common.port, "Server port")->required();
  app.add_option("--dialect", common.dialect, "Protocol: line (socketchat) or irc")
      ->check(CLI::IsMember({"line", "irc"}))
      ->capture_default_str();
  app.add_option("--line-feed", common.line_feed,
                 "The line dialect's feed: room (JOIN bench, SAY: like an IRC channel, which "
                 "users outside it do not receive) or global (MSG, which every user receives)")
      ->check(CLI::IsMember({"room", "global"}))
      ->capture_default_str();
  app.add_option("--transport", common.transport,
                 "How each connection carries the protocol: tcp, tls (certificate not verified) "
                 "or ws (WebSocket upgrade at /ws)")
      ->check(CLI::IsMember({"tcp", "tls", "ws"}))
      ->capture_default_str();
  app.add_option("--timeout", common.timeout_seconds,
                 "Give up (exit 3) after this many seconds in all")
      ->capture_default_str();
  app.add_option("--server-pid", common.server_pid,
                 "The server's pid, to report its CPU time and memory");
  app.add_option("--concurrency", common.concurrency, "Clients connecting or logging in at once")
      ->capture_default_str();
}

// The line dialect's capabilities (PROTOCOL.md, "Message ids and resuming").
void add_caps(CLI::App& app, CommonOptions& common) {
  app.add_option("--caps", common.caps,
                 "Line dialect: send CAPS <this> before LOGIN (ids: every SAY and MSG then "
                 "carries its id and stamp); not for --dialect irc")
      ->check(CLI::IsMember({"ids"}));
}

void add_fanout(CLI::App& app, bench::FanoutOptions& fanout) {
  app.add_option("--users", fanout.users, "Clients on the feed")->capture_default_str();
  app.add_option("--senders", fanout.senders, "Of those, how many send")->capture_default_str();
  app.add_option("--messages", fanout.messages, "Messages per sender")->capture_default_str();
  app.add_option("--window", fanout.window,
                 "Messages in flight per sender (0: as fast as the socket takes them)")
      ->capture_default_str();
  app.add_option("--pad", fanout.pad, "Extra bytes of text per message")->capture_default_str();
  app.add_option("--drain-seconds", fanout.drain_seconds,
                 "End the run when nothing arrives for this long (then count losses)")
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  CLI::App app{"socketchat_loadgen: load generator for socketchat and IRC servers"};
  app.require_subcommand(1);

  CommonOptions common;
  bench::FanoutOptions fanout;
  bench::ConnsOptions conns;
  bench::LatencyOptions latency;
  bench::LoginsOptions logins;
  bench::ResumeOptions resume;

  auto* fanout_app = app.add_subcommand(
      "fanout", "Users on the shared feed, some sending: deliveries/s, latency, losses");
  add_common(*fanout_app, common);
  add_caps(*fanout_app, common);
  add_fanout(*fanout_app, fanout);
  fanout_app->add_flag("--slow-reader", fanout.slow_reader,
                       "Add one user on the feed that never reads");
  // --port, or --ports for several nodes of one world (docs/CLUSTER.md): one of them.
  auto* fanout_servers = fanout_app->add_option_group("servers", "Where the clients connect");
  fanout_servers->add_option(fanout_app->get_option("--port")->required(false));
  fanout_servers
      ->add_option("--ports", common.ports,
                   "Several servers' ports, P1,P2,...: client i connects to P[i % n] (the nodes "
                   "of a cluster); instead of --port")
      ->delimiter(',');
  fanout_servers->require_option(1);

  auto* conns_app = app.add_subcommand(
      "conns", "Many idle logged-in connections: login time, server memory per connection");
  add_common(*conns_app, common);
  conns_app->add_option("--connections", conns.connections, "How many")->capture_default_str();
  conns_app
      ->add_option("--per-source", conns.per_source,
                   "Connections per source address (127.0.0.2, .3, ...)")
      ->capture_default_str();
  conns_app->add_option("--sample", conns.sample, "Connections that must answer PING afterwards")
      ->capture_default_str();
  conns_app
      ->add_option("--teardown-timeout", conns.teardown_timeout,
                   "After closing all, wait this long for a new login to work (0: skip)")
      ->capture_default_str();
  conns_app
      ->add_option("--settle", conns.settle,
                   "After the last login, hold the connections this long (seconds) before reading "
                   "the server's RSS, so that its allocator may give back what the logins used "
                   "(socketchatd trims within a second of a burst's end); the RSS right after "
                   "the last login is reported too")
      ->capture_default_str();

  auto* latency_app =
      app.add_subcommand("latency", "PING/PONG round trips, optionally under a windowed fanout");
  add_common(*latency_app, common);
  add_caps(*latency_app, common);
  latency_app->add_option("--count", latency.count, "Round trips measured")->capture_default_str();
  latency_app->add_option("--warmup", latency.warmup, "Round trips before those, not measured")
      ->capture_default_str();
  latency_app
      ->add_option("--max-seconds", latency.max_seconds,
                   "Stop pinging after this long, even with fewer round trips done")
      ->capture_default_str();
  latency_app->add_flag("--background", latency.background,
                        "Run a windowed fanout (--users, --senders, --window) meanwhile");
  add_fanout(*latency_app, latency.fanout);

  auto* logins_app = app.add_subcommand(
      "logins", "Accounts: password logins/s, token logins/s, PING latency during password logins");
  add_common(*logins_app, common);
  logins_app
      ->add_option("--accounts", logins.accounts,
                   "Accounts registered first (b0, b1, ...; REGISTER, then TOKEN, at the "
                   "server's password-hash cost)")
      ->capture_default_str();
  logins_app
      ->add_option("--password-logins", logins.password_logins,
                   "LOGIN <name> <password> connections, over the accounts in turn")
      ->capture_default_str();
  logins_app
      ->add_option("--token-logins", logins.token_logins,
                   "TOKEN <t> connections, one per account (at most --accounts), held open")
      ->capture_default_str();
  logins_app
      ->add_option("--probe-pings", logins.probe_pings,
                   "Round trips of a logged-in probe on the idle server, then during the "
                   "password logins (0: no probe)")
      ->capture_default_str();
  logins_app
      ->add_option("--probe-gap-ms", logins.probe_gap_ms,
                   "Between a PONG and the probe's next PING (0: back to back)")
      ->capture_default_str();
  logins_app
      ->add_option("--setup-concurrency", logins.setup_concurrency,
                   "Registrations at once in the setup (0: --concurrency); past the server's "
                   "--password-hash-queue they get ERR server-busy and are retried")
      ->capture_default_str();
  logins_app
      ->add_option("--per-source", logins.per_source,
                   "Connections per source address (127.0.0.2, .3, ...)")
      ->capture_default_str();

  auto* resume_app = app.add_subcommand(
      "resume",
      "A reconnect storm: clients with CAPS ids all reconnect at once and JOIN bench SINCE "
      "their last id while talkers go on; time to log back in and catch up, losses");
  add_common(*resume_app, common);
  resume_app->add_option("--clients", resume.clients, "Clients that reconnect (with CAPS ids)")
      ->capture_default_str();
  resume_app->add_option("--talkers", resume.talkers, "Other clients saying things to bench")
      ->capture_default_str();
  resume_app->add_option("--rate", resume.rate, "Messages per second per talker")
      ->capture_default_str();
  resume_app
      ->add_option("--warmup-messages", resume.warmup_messages,
                   "Messages each client has before the storm (the last one's id is kept)")
      ->capture_default_str();
  resume_app
      ->add_option("--tail-seconds", resume.tail_seconds,
                   "The talkers go on this long after every client has caught up")
      ->capture_default_str();
  resume_app
      ->add_option("--drain-seconds", resume.drain_seconds,
                   "After the talkers stop, end the run when nothing arrives for this long")
      ->capture_default_str();
  resume_app->add_flag("--page-back", resume.page_back,
                       "After GAP <room> more (a replay holds at most 500), page back with "
                       "HISTORY bench BEFORE <first replayed id> to the last id; that GAP is then "
                       "no failure");

  CLI11_PARSE(app, argc, argv);

  try {
    if (fanout_app->parsed()) return bench::run_fanout(common, fanout);
    if (conns_app->parsed()) return bench::run_conns(common, conns);
    if (logins_app->parsed()) return bench::run_logins(common, logins);
    if (resume_app->parsed()) return bench::run_resume(common, resume);
    return bench::run_latency(common, latency);
  } catch (const bench::Failure& e) {
    std::fflush(stdout);
    fmt::print(stderr, "socketchat_loadgen: {}\n", e.what());
    return e.status();
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "socketchat_loadgen: {}\n", e.what());
    return bench::exit_setup;
  }
}
