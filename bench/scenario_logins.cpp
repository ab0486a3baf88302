// Scenario logins: what accounts cost the server (PROTOCOL.md, "Accounts"). Sets up
// accounts through REGISTER (keeping a session token of each), then measures password
// logins (each an Argon2id check on the server's hashing threads), token logins (no
// hashing: a MAC and a store read), and the PING round trip of a logged-in user while
// the password logins run, against the same user's PINGs on an idle server.
//
// The line protocol only (over tcp, tls or ws). Every client here is one connection
// with a short script of commands; ERR server-busy (the hashing queue is full) and ERR
// username-taken (the account's previous connection is not gone yet) are retried on
// the same connection after a short backoff, and counted; any other refusal ends the
// run with exit status 2.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "failure.hpp"
#include "report.hpp"
#include "scenarios.hpp"
#include "transport.hpp"

namespace bench {

namespace {

constexpr std::string_view bench_password = "bench-password-1";
constexpr std::string_view probe_account = "bprobe";
// Files the load generator needs besides its connections.
constexpr long spare_login_files = 64;
// A retried command waits this long times its attempt number, at most max_backoff.
constexpr Nanos backoff_step = 50'000'000;
constexpr Nanos max_backoff = 1'000'000'000;
// Round trips the probe makes before it measures the idle server.
constexpr std::uint64_t warmup_pings = 100;

std::string account_name(std::size_t index) {
  return fmt::format("b{}", index);
}

double seconds_between(Nanos from, Nanos to) {
  return static_cast<double>(to - from) / 1e9;
}

double rounded(double value, double scale = 1000) {
  return std::round(value * scale) / scale;
}

// One wave of clients, each a connection that runs one script:
//   register: REGISTER <name> <password>, OK; TOKEN, TOKEN <t> (kept); QUIT, closed.
//   password: LOGIN <name> <password>, OK; QUIT, closed (the account is free again).
//   token:    TOKEN <t>, OK <name>; the connection stays open, logged in.
// At most `concurrency` clients are between their connect and their end (the close
// after QUIT, or the OK of a token login). A wave's latency is from a client's connect
// to its OK.
class Wave final : public ConnectionHandler {
 public:
  enum class Kind { register_account, password, token };

  struct Options {
    Kind kind = Kind::password;
    std::size_t clients = 0;
    std::size_t accounts = 0;  // password: the accounts (0, 1, ...) it logs in to, in turn
    std::size_t concurrency = 200;
    std::vector<in_addr> sources;  // bind to these in turn; empty: the kernel picks
    std::size_t per_source = 0;
  };

  // `names[i]` is account i; `tokens` is filled (register) or read (token).
  Wave(EventLoop& loop, const Endpoint& server, Options options,
       const std::vector<std::string>& names, std::vector<std::string>& tokens)
      : loop_(loop), server_(server), options_(std::move(options)), names_(names), tokens_(tokens) {
    if (options_.concurrency == 0) options_.concurrency = 1;
    if (options_.kind == Kind::password) {
      // Each password login takes an account nobody else is logging in to: one
      // connection per account.
      for (std::size_t i = 0; i < options_.accounts; ++i) free_accounts_.push_back(i);
    }
  }

  void start() {
    started_ = now_ns();
    clients_.resize(options_.clients);
    launch_more();
  }

  // Sends the retries that are due; true once every client is through.
  bool poll() {
    Nanos now = now_ns();
    while (!retries_.empty() && retries_.top().first <= now) {
      std::size_t id = retries_.top().second;
      retries_.pop();
      Client& client = clients_[id];
      if (client.connection != nullptr && client.connection->is_open()) {
        loop_.send(*client.connection, command(client));
      }
    }
    return done_ == options_.clients;
  }

  std::size_t done() const noexcept { return done_; }
  std::size_t busy_replies() const noexcept { return busy_; }
  std::size_t taken_replies() const noexcept { return taken_; }
  const Histogram& latency() const noexcept { return latency_; }
  Nanos started() const noexcept { return started_; }
  Nanos last_ok() const noexcept { return last_ok_; }

  void close_all() {
    for (auto& client : clients_) {
      if (client.connection != nullptr) loop_.close(*client.connection);
    }
  }

 private:
  enum class Phase { waiting, connecting, awaiting_ok, awaiting_token, quitting, finished };
  struct Client {
    std::size_t account = 0;
    Connection* connection = nullptr;
    Phase phase = Phase::waiting;
    Nanos connect_at = 0;
    unsigned attempts = 0;
  };

  void launch_more() {
    while (in_progress_ < options_.concurrency && next_ < clients_.size()) {
      std::size_t id = next_;
      Client& client = clients_[id];
      if (options_.kind == Kind::password) {
        if (free_accounts_.empty()) return;
        client.account = free_accounts_.front();
        free_accounts_.pop_front();
      } else {
        client.account = id;
      }
      ++next_;
      ++in_progress_;
      ConnectOptions connect{.source = nullptr, .receive_buffer = 0};
      if (!options_.sources.empty()) {
        connect.source = &options_.sources[(id / options_.per_source) % options_.sources.size()];
      }
      client.phase = Phase::connecting;
      client.connect_at = now_ns();
      try {
        client.connection = &loop_.connect(id, server_, *this, connect);
      } catch (const Failure& e) {
        throw Failure(e.status(),
                      fmt::format("client {} of {}: {}", id + 1, clients_.size(), e.what()));
      }
    }
  }

  std::string command(const Client& client) const {
    const std::string& name = names_[client.account];
    switch (options_.kind) {
      case Kind::register_account:
        return fmt::format("REGISTER {} {}\n", name, bench_password);
      case Kind::password:
        return fmt::format("LOGIN {} {}\n", name, bench_password);
      case Kind::token:
        return fmt::format("TOKEN {}\n", tokens_[client.account]);
    }
    return {};
  }

  std::string_view verb() const {
    switch (options_.kind) {
      case Kind::register_account:
        return "REGISTER";
      case Kind::password:
        return "LOGIN";
      case Kind::token:
        return "TOKEN";
    }
    return {};
  }

  void on_connected(Connection& connection) override {
    Client& client = clients_[connection.id()];
    client.phase = Phase::awaiting_ok;
    loop_.send(connection, command(client));
  }

  void on_line(Connection& connection, std::string_view line, Nanos now) override {
    std::size_t id = connection.id();
    Client& client = clients_[id];
    switch (client.phase) {
      case Phase::awaiting_ok:
        if (line == "OK" || line.starts_with("OK ")) return logged_in(client, connection, now);
        if (line == "ERR server-busy" || line == "ERR username-taken") {
          (line == "ERR server-busy" ? busy_ : taken_) += 1;
          Nanos wait = std::min(max_backoff, backoff_step * ++client.attempts);
          // A few ms apart, so that the retries do not all arrive at once.
          retries_.emplace(now + wait + static_cast<Nanos>(id % 20) * 1'000'000, id);
          return;
        }
        if (line.starts_with("ERR ")) refused(client, line);
        return;
      case Phase::awaiting_token:
        if (line.starts_with("TOKEN ")) {
          tokens_[client.account] = std::string(line.substr(6));
          client.phase = Phase::quitting;
          loop_.send(connection, "QUIT\n");
        } else if (line.starts_with("ERR ")) {
          refused(client, line);
        }
        return;
      default:
        return;  // INFO lines about others leaving, and the like
    }
  }

  void logged_in(Client& client, Connection& connection, Nanos now) {
    latency_.record(now - client.connect_at);
    last_ok_ = now;
    switch (options_.kind) {
      case Kind::register_account:
        client.phase = Phase::awaiting_token;
        loop_.send(connection, "TOKEN\n");
        return;
      case Kind::password:
        client.phase = Phase::quitting;
        loop_.send(connection, "QUIT\n");
        return;
      case Kind::token:
        finish(client);
        return;
    }
  }

  void finish(Client& client) {
    client.phase = Phase::finished;
    ++done_;
    --in_progress_;
    if (options_.kind == Kind::password) free_accounts_.push_back(client.account);
    launch_more();
  }

  [[noreturn]] void refused(const Client& client, std::string_view line) const {
    throw Failure(exit_setup,
                  fmt::format("{}: {} refused: {}", names_[client.account], verb(), line));
  }

  void on_closed(Connection& connection, std::string_view why) override {
    Client& client = clients_[connection.id()];
    if (client.phase == Phase::quitting) return finish(client);
    if (client.phase == Phase::finished) {
      throw Failure(exit_setup, fmt::format("{}: logged in by token, then lost: {}",
                                            names_[client.account], why));
    }
    throw Failure(exit_setup,
                  fmt::format("{} (client {} of {}): {} before logging in", names_[client.account],
                              connection.id() + 1, clients_.size(), why));
  }

  using Retry = std::pair<Nanos, std::size_t>;

  EventLoop& loop_;
  Endpoint server_;
  Options options_;
  const std::vector<std::string>& names_;
  std::vector<std::string>& tokens_;
  std::vector<Client> clients_;
  std::deque<std::size_t> free_accounts_;
  std::priority_queue<Retry, std::vector<Retry>, std::greater<>> retries_;
  std::size_t next_ = 0;
  std::size_t in_progress_ = 0;
  std::size_t done_ = 0;
  std::size_t busy_ = 0;
  std::size_t taken_ = 0;
  Histogram latency_;
  Nanos started_ = 0;
  Nanos last_ok_ = 0;
};

// Runs a wave to its end on `loop`.
void run_wave(EventLoop& loop, Wave& wave, const Deadline& deadline, std::string_view doing) {
  wave.start();
  run_until(loop, deadline, doing, [&] { return wave.poll(); });
}

// One logged-in user (the account bprobe, by its token) pinging: a PING, its PONG,
// then the next PING at least `gap` later. It runs on a thread and an event loop of
// its own (as the latency scenario's probe), so a PONG never waits for the load
// generator's other clients; between round trips it sleeps in epoll.
class LoginProbeThread final : private ConnectionHandler {
 public:
  LoginProbeThread(const CommonOptions& common, std::string token, Nanos gap,
                   const Deadline& deadline)
      : common_(common), token_(std::move(token)), gap_(gap), deadline_(deadline) {
    thread_ = std::thread([this] {
      try {
        run();
      } catch (...) {
        failure_ = std::current_exception();
      }
      finished_ = true;
    });
  }
  ~LoginProbeThread() {
    abandon_ = true;
    thread_.join();
  }
  LoginProbeThread(const LoginProbeThread&) = delete;
  LoginProbeThread& operator=(const LoginProbeThread&) = delete;

  // Each of these waits (running nothing else) until the probe has done it, or
  // rethrows what ended the probe.
  void wait_ready() const { wait_for(ready_, "logging in the probe"); }
  // `count` round trips on the idle server.
  void measure_idle(std::uint64_t count) {
    idle_count_ = count;
    stage_ = Stage::idle;
    wait_for(idle_done_, "pinging the idle server");
  }
  // Round trips from now until stop_loaded().
  void start_loaded() { stage_ = Stage::loaded; }
  void stop_loaded() {
    stage_ = Stage::stop;
    wait_for(loaded_done_, "ending the probe");
  }

  const Histogram& idle() const noexcept { return idle_; }
  const Histogram& loaded() const noexcept { return loaded_; }

 private:
  enum class Stage { wait, idle, loaded, stop };

  void wait_for(const std::atomic<bool>& flag, std::string_view doing) const {
    while (!flag && !finished_) {
      deadline_.check(doing);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (failure_) std::rethrow_exception(failure_);
    if (!flag) throw Failure(exit_setup, fmt::format("the probe ended while {}", doing));
  }

  void run() {
    EventLoop loop(make_transport(common_.transport, common_.server()));
    loop_ = &loop;
    connection_ = &loop.connect(0, common_.server(), *this);
    run_until(loop, deadline_, "logging in the probe", [&] { return logged_in_ || abandon_; });
    ready_ = true;
    run_until(loop, deadline_, "waiting", [&] { return stage_ != Stage::wait || abandon_; });
    Histogram warmup;
    ping_until(loop, warmup, [&] { return warmup.count() >= warmup_pings; });
    ping_until(loop, idle_, [&] { return idle_.count() >= idle_count_; });
    idle_done_ = true;
    run_until(loop, deadline_, "waiting", [&] { return stage_ != Stage::idle || abandon_; });
    ping_until(loop, loaded_, [&] { return stage_ != Stage::loaded; });
    loaded_done_ = true;
  }

  // Pings into `histogram` until `enough()` (checked between round trips).
  template <typename Enough>
  void ping_until(EventLoop& loop, Histogram& histogram, Enough enough) {
    histogram_ = &histogram;
    Nanos next = now_ns();
    while (!abandon_) {
      deadline_.check("pinging");
      if (waiting_) {
        loop.run_once(10);
        if (!waiting_) next = now_ns() + gap_;
        continue;
      }
      if (enough()) return;
      Nanos now = now_ns();
      if (now < next) {
        // epoll waits whole milliseconds: round up, so the gap is at least `gap`.
        loop.run_once(static_cast<int>((next - now + 999'999) / 1'000'000));
        continue;
      }
      pong_expected_ = fmt::format("PONG p{}", sequence_++);
      waiting_ = true;
      sent_at_ = now_ns();
      loop.send(*connection_, fmt::format("PING p{}\n", sequence_ - 1));
    }
  }

  void on_connected(Connection& connection) override {
    loop_->send(connection, fmt::format("TOKEN {}\n", token_));
  }
  void on_line(Connection&, std::string_view line, Nanos now) override {
    if (!logged_in_) {
      if (line.starts_with("OK")) logged_in_ = true;
      if (line.starts_with("ERR ")) {
        throw Failure(exit_setup, fmt::format("{}: TOKEN refused: {}", probe_account, line));
      }
      return;
    }
    if (waiting_ && line == pong_expected_) {
      histogram_->record(now - sent_at_);
      waiting_ = false;
    }
  }
  void on_closed(Connection&, std::string_view why) override {
    throw Failure(exit_setup, fmt::format("the probe connection ended: {}", why));
  }

  const CommonOptions& common_;
  std::string token_;
  Nanos gap_;
  const Deadline& deadline_;
  EventLoop* loop_ = nullptr;
  Connection* connection_ = nullptr;
  bool logged_in_ = false;
  bool waiting_ = false;
  std::uint64_t sequence_ = 0;
  std::string pong_expected_;
  Nanos sent_at_ = 0;
  Histogram* histogram_ = nullptr;
  Histogram idle_;
  Histogram loaded_;
  std::uint64_t idle_count_ = 0;

  std::atomic<Stage> stage_ = Stage::wait;
  std::atomic<bool> ready_ = false;
  std::atomic<bool> idle_done_ = false;
  std::atomic<bool> loaded_done_ = false;
  std::atomic<bool> abandon_ = false;
  std::atomic<bool> finished_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

std::string rate_text(std::size_t count, double seconds) {
  return fmt::format("{} in {:.2f} s: {}/s", human_count(static_cast<double>(count)), seconds,
                     human_count(static_cast<double>(count) / seconds));
}

// "1.23 s (45 % of wall)" for the server, if its pid was given.
void server_cpu_row(Report& report, std::string_view label, std::string_view key,
                    const CpuMeter& cpu, double wall) {
  report.row(fmt::format("{} load generator CPU", label),
             fmt::format("{:.2f} s ({:.0f} % of wall)", cpu.own_seconds(),
                         cpu.own_seconds() / wall * 100));
  report.json()[fmt::format("{}_loadgen_cpu_s", key)] = rounded(cpu.own_seconds());
  if (auto server = cpu.server_seconds()) {
    report.row(fmt::format("{} server CPU", label),
               fmt::format("{:.2f} s ({:.0f} % of wall)", *server, *server / wall * 100));
    report.json()[fmt::format("{}_server_cpu_s", key)] = rounded(*server);
  }
}

}  // namespace

int run_logins(const CommonOptions& common, const LoginsOptions& options) {
  if (common.dialect != "line") {
    throw Failure(exit_setup, "logins speaks the line protocol only (--dialect line)");
  }
  if (options.accounts == 0) throw Failure(exit_setup, "--accounts must be 1 or more");
  if (options.token_logins > options.accounts) {
    throw Failure(exit_setup, "--token-logins needs as many --accounts (one connection each)");
  }
  Deadline deadline(common.timeout_seconds);
  long files = raise_file_limit();
  std::size_t held = std::max(options.token_logins, common.concurrency);
  if (static_cast<long>(held) + spare_login_files > files) {
    throw Failure(exit_setup,
                  fmt::format("{} connections need more than the open-file limit of {} (ulimit "
                              "-Hn)",
                              held, files));
  }
  const bool probing = options.probe_pings > 0;
  const std::size_t total_accounts = options.accounts + (probing ? 1 : 0);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < options.accounts; ++i) names.push_back(account_name(i));
  if (probing) names.emplace_back(probe_account);
  std::vector<std::string> tokens(total_accounts);
  auto sources = [&](std::size_t count) { return source_addresses(count, options.per_source); };

  Report report(fmt::format("logins  dialect=line{} accounts={} password logins={} token logins={}",
                            common.transport_label(), options.accounts, options.password_logins,
                            options.token_logins));
  auto& json = report.json();
  json["scenario"] = "logins";
  json["transport"] = common.transport;
  json["accounts"] = options.accounts;

  EventLoop loop(make_transport(common.transport, common.server()));
  CpuMeter total_cpu(common.server_pid);
  total_cpu.start();
  Nanos run_start = now_ns();

  // Setup: every account registered, a token of each kept.
  {
    Wave setup(loop, common.server(),
               {.kind = Wave::Kind::register_account,
                .clients = total_accounts,
                .concurrency =
                    options.setup_concurrency != 0 ? options.setup_concurrency : common.concurrency,
                .sources = sources(total_accounts),
                .per_source = options.per_source},
               names, tokens);
    CpuMeter cpu(common.server_pid);
    cpu.start();
    run_wave(loop, setup, deadline, "registering the accounts");
    cpu.stop();
    double seconds = seconds_between(setup.started(), now_ns());
    report.row("setup: REGISTER + TOKEN", rate_text(total_accounts, seconds));
    json["setup_s"] = rounded(seconds);
    json["registrations_per_s"] = rounded(static_cast<double>(total_accounts) / seconds, 10);
    report.row("setup: ERR server-busy (retried)", human_count(setup.busy_replies()));
    json["setup_busy_retries"] = setup.busy_replies();
    server_cpu_row(report, "setup:", "setup", cpu, seconds);
  }

  std::optional<LoginProbeThread> probe;
  if (probing) {
    probe.emplace(common, tokens.back(), static_cast<Nanos>(options.probe_gap_ms * 1'000'000),
                  deadline);
    probe->wait_ready();
    probe->measure_idle(options.probe_pings);
    report.latency("probe PING, idle server:", "probe_idle_rtt", probe->idle());
  }

  if (options.password_logins > 0) {
    Wave wave(loop, common.server(),
              {.kind = Wave::Kind::password,
               .clients = options.password_logins,
               .accounts = options.accounts,  // not the probe's
               .concurrency = common.concurrency,
               .sources = sources(options.password_logins),
               .per_source = options.per_source},
              names, tokens);
    CpuMeter cpu(common.server_pid);
    cpu.start();
    if (probe) probe->start_loaded();
    run_wave(loop, wave, deadline, "logging in with passwords");
    if (probe) probe->stop_loaded();
    cpu.stop();
    double seconds = seconds_between(wave.started(), wave.last_ok());
    report.row("password: LOGIN, first connect to last OK",
               rate_text(options.password_logins, seconds));
    json["password_logins"] = options.password_logins;
    json["password_s"] = rounded(seconds);
    json["password_logins_per_s"] =
        rounded(static_cast<double>(options.password_logins) / seconds, 10);
    report.latency("password: one login, connect to OK,", "password_login", wave.latency());
    report.row("password: ERR server-busy (retried)", human_count(wave.busy_replies()));
    report.row("password: ERR username-taken (retried)", human_count(wave.taken_replies()));
    json["password_busy_retries"] = wave.busy_replies();
    json["password_taken_retries"] = wave.taken_replies();
    server_cpu_row(report, "password:", "password", cpu, seconds_between(wave.started(), now_ns()));
    if (probe) {
      report.latency("probe PING, during the password logins:", "probe_loaded_rtt",
                     probe->loaded());
      double idle = static_cast<double>(probe->idle().percentile(0.99));
      double loaded = static_cast<double>(probe->loaded().percentile(0.99));
      if (idle > 0) {
        report.row("probe PING p99, loaded / idle", fmt::format("{:.2f}x", loaded / idle));
        json["probe_p99_ratio"] = rounded(loaded / idle, 100);
      }
    }
  } else if (probe) {
    probe->start_loaded();
    probe->stop_loaded();
  }

  if (options.token_logins > 0) {
    Wave wave(loop, common.server(),
              {.kind = Wave::Kind::token,
               .clients = options.token_logins,
               .concurrency = common.concurrency,
               .sources = sources(options.token_logins),
               .per_source = options.per_source},
              names, tokens);
    CpuMeter cpu(common.server_pid);
    cpu.start();
    run_wave(loop, wave, deadline, "logging in with tokens");
    cpu.stop();
    double seconds = seconds_between(wave.started(), wave.last_ok());
    report.row("token: TOKEN, first connect to last OK", rate_text(options.token_logins, seconds));
    json["token_logins"] = options.token_logins;
    json["token_s"] = rounded(seconds);
    json["token_logins_per_s"] = rounded(static_cast<double>(options.token_logins) / seconds, 10);
    report.latency("token: one login, connect to OK,", "token_login", wave.latency());
    report.row("token: ERR server-busy (retried)", human_count(wave.busy_replies()));
    json["token_busy_retries"] = wave.busy_replies();
    server_cpu_row(report, "token:", "token", cpu, seconds);
    wave.close_all();
  }

  total_cpu.stop();
  report.cpu(total_cpu, seconds_between(run_start, now_ns()));
  json["ok"] = true;
  report.print();
  return exit_ok;
}

}  // namespace bench
