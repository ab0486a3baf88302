#pragma once

// The scenarios. Each prints a table and one "RESULT {json}" line and returns
// the process exit status (see failure.hpp).

#include <cstddef>
#include <cstdint>

#include "common.hpp"
#include "fanout.hpp"

namespace bench {

struct ConnsOptions {
  std::size_t connections = 1000;
  std::size_t per_source = 4000;  // connections per source address 127.0.0.2, .3, ...
  std::size_t sample = 100;       // connections that must still answer PING
  double teardown_timeout = 30;   // after closing all: wait this long for a new login; 0 = skip
  double settle = 0;  // after the last login: wait this long before reading the server's RSS
};

struct LatencyOptions {
  std::uint64_t count = 5000;  // round trips measured
  std::uint64_t warmup = 200;  // round trips before those, not measured
  double max_seconds = 20;     // stop pinging after this long even if fewer were done
  bool background = false;     // run a windowed fanout meanwhile
  FanoutOptions fanout{.users = 100,
                       .senders = 10,
                       .messages = 200000,
                       .window = 20,
                       .pad = 0,
                       .slow_reader = false,
                       .drain_seconds = 5};
};

struct LoginsOptions {
  std::size_t accounts = 1000;        // registered in setup: b0, b1, ...
  std::size_t password_logins = 0;    // LOGIN <name> <password>, over the accounts in turn
  std::size_t token_logins = 0;       // TOKEN <t>, each a distinct account, all held open
  std::uint64_t probe_pings = 0;      // idle round trips of the probe; 0 = no probe
  double probe_gap_ms = 1;            // between a PONG and the probe's next PING
  std::size_t per_source = 4000;      // connections per source address 127.0.0.2, .3, ...
  std::size_t setup_concurrency = 0;  // registrations at once; 0 = --concurrency
};

struct ResumeOptions {
  std::size_t clients = 2000;           // with CAPS ids, in bench, all reconnecting at once
  std::size_t talkers = 5;              // saying things to bench the whole run
  double rate = 200;                    // messages/s per talker
  std::uint64_t warmup_messages = 200;  // each client has this many before the storm
  double tail_seconds = 1;              // talking on after every client caught up
  double drain_seconds = 5;             // after the talkers stop: nothing for this long ends it
  bool page_back = false;               // GAP more: page back with HISTORY BEFORE, no failure
};

int run_fanout(const CommonOptions& common, const FanoutOptions& options);
int run_conns(const CommonOptions& common, const ConnsOptions& options);
int run_latency(const CommonOptions& common, const LatencyOptions& options);
int run_logins(const CommonOptions& common, const LoginsOptions& options);
int run_resume(const CommonOptions& common, const ResumeOptions& options);

// Shared by fanout and latency: the fanout's rows and json keys.
class Report;
// `prefix` starts every row label (e.g. "background ").
void report_fanout(Report& report, const FanoutOptions& options, const FanoutTotals& totals,
                   const Histogram& latency, std::string_view prefix = "");

}  // namespace bench
