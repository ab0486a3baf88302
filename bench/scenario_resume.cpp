// Scenario resume: a reconnect storm (PROTOCOL.md, "Message ids and resuming after a
// reconnect"). N clients with CAPS ids are in the room bench while K talkers keep
// saying things to it at a steady rate. Once each client has seen some messages (and
// keeps the id of the last one), all N close their connections at once and come back
// at once: CAPS ids, LOGIN with the same name (ERR username-taken, the server not done
// with the old connection yet, is retried), JOIN bench SINCE <last id>, then the
// replay (HIST lines, END) and the live SAY lines, which may come before and during
// the replay and repeat some of it. Then the talkers stop and, after a drain, every
// client must have every message stored after its last id exactly once when counted by
// id: one missing, or a GAP line, is a failure; a message in both the replay and the
// live stream is expected and counted apart. With page_back, a replay that begins with
// GAP more (more was stored after the id than a replay holds) is followed by HISTORY
// BEFORE pages back to the last id, as PROTOCOL.md tells a client to, and that GAP is
// no failure. A message stored before a client's last id that it never had (it was
// delivered after a later one and was still on its way at the close) is a failure too.
//
// The line protocol only; the server must keep history (memory or SQLite) and have
// its limits lifted (bench/README.md).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common.hpp"
#include "failure.hpp"
#include "line_dialect.hpp"
#include "report.hpp"
#include "scenarios.hpp"
#include "swarm.hpp"
#include "transport.hpp"

namespace bench {

namespace {

// Files the load generator needs besides its connections.
constexpr long spare_resume_files = 64;
// A LOGIN answered ERR username-taken is sent again after this long times its attempt
// number, at most max_login_backoff.
constexpr Nanos login_backoff_step = 5'000'000;
constexpr Nanos max_login_backoff = 100'000'000;
// How often the drain asks whether every client has everything.
constexpr Nanos drain_check_interval = 50'000'000;
// Messages asked for in each HISTORY BEFORE (the most the server gives).
constexpr int history_page = 500;
// Missing messages named in the report, at most.
constexpr std::size_t examples_kept = 5;

double seconds_of(Nanos nanos) {
  return static_cast<double>(nanos) / 1e9;
}

double rounded(double value) {
  return std::round(value * 1000) / 1000;
}

// "<epoch>-<n>": the epoch (0-9 a-z, no dash) and n from 1 up.
struct MessageId {
  std::string_view epoch;
  std::uint64_t n = 0;
};

std::optional<MessageId> parse_id(std::string_view id) {
  auto dash = id.find('-');
  if (dash == 0 || dash == std::string_view::npos) return std::nullopt;
  MessageId parsed{.epoch = id.substr(0, dash), .n = 0};
  std::string_view n = id.substr(dash + 1);
  auto [end, error] = std::from_chars(n.data(), n.data() + n.size(), parsed.n);
  if (error != std::errc{} || end != n.data() + n.size() || parsed.n == 0) return std::nullopt;
  return parsed;
}

// A growable bitmap.
class Bits {
 public:
  bool test(std::uint64_t i) const noexcept {
    std::uint64_t word = i / 64;
    return word < words_.size() && (words_[word] >> (i % 64) & 1) != 0;
  }
  void set(std::uint64_t i) {
    std::uint64_t word = i / 64;
    if (word >= words_.size()) words_.resize(word + 1 + words_.size() / 2);
    words_[word] |= std::uint64_t{1} << (i % 64);
  }

 private:
  std::vector<std::uint64_t> words_;
};

// The talkers: K clients on the room saying "B <talker> <sequence> <steady ns>" at
// `rate` messages a second each, from begin() until stop(). They do not ask for ids.
class Talkers final : private Swarm::Listener {
 public:
  Talkers(EventLoop& loop, const Dialect& dialect, const Endpoint& server, std::size_t count,
          double rate, std::size_t concurrency)
      : dialect_(dialect),
        swarm_(loop, dialect, SwarmOptions::on_feed("talker", {server}, concurrency), *this),
        count_(count),
        rate_(rate),
        sent_(count) {}

  void connect() { swarm_.start(count_); }
  bool ready() const noexcept { return swarm_.all_ready(); }
  void begin(Nanos now) {
    began_ = now;
    talking_ = true;
  }
  void stop() noexcept { talking_ = false; }

  // Sends what is due by now: each talker is at floor(elapsed x rate) messages.
  void pump(Nanos now) {
    if (!talking_) return;
    auto due = static_cast<std::uint64_t>(seconds_of(now - began_) * rate_);
    for (std::size_t talker = 0; talker < count_; ++talker) {
      if (sent_[talker] >= due) continue;
      batch_.clear();
      while (sent_[talker] < due) {
        char text[96];
        auto result =
            fmt::format_to_n(text, sizeof text, "B {} {} {:016}", talker, sent_[talker], now);
        dialect_.append_feed_message(batch_, std::string_view(text, result.size));
        ++sent_[talker];
      }
      swarm_.send(talker, batch_);
    }
  }

  std::size_t count() const noexcept { return count_; }
  std::uint64_t sent(std::size_t talker) const noexcept { return sent_[talker]; }
  std::uint64_t total_sent() const noexcept {
    std::uint64_t total = 0;
    for (auto each : sent_) total += each;
    return total;
  }
  std::size_t unsent_bytes() const {
    std::size_t bytes = 0;
    for (std::size_t talker = 0; talker < count_; ++talker) {
      bytes += swarm_.connection(talker).pending_output();
    }
    return bytes;
  }
  std::uint64_t server_errors() const noexcept { return server_errors_; }
  const std::string& first_server_error() const noexcept { return first_server_error_; }

 private:
  void on_line(std::size_t id, const Classified& line, Nanos) override {
    if (line.kind == LineKind::refused && server_errors_++ == 0) {
      first_server_error_ = fmt::format("{}: ERR {}", swarm_.nick(id), line.arg);
    }
  }
  void on_lost(std::size_t id, std::string_view why) override {
    throw Failure(exit_incorrect, fmt::format("{} was disconnected: {}", swarm_.nick(id), why));
  }

  const Dialect& dialect_;
  Swarm swarm_;
  std::size_t count_;
  double rate_;
  std::vector<std::uint64_t> sent_;
  std::string batch_;
  Nanos began_ = 0;
  bool talking_ = false;
  std::uint64_t server_errors_ = 0;
  std::string first_server_error_;
};

// What each client saw, and the checks.
struct ResumeCounts {
  std::uint64_t login_retries = 0;     // LOGINs answered ERR username-taken
  std::uint64_t replayed_lines = 0;    // HIST lines, all clients
  std::uint64_t max_replayed = 0;      // HIST lines of one client
  std::uint64_t replay_live_dups = 0;  // an id both replayed and delivered live (expected)
  std::uint64_t duplicated = 0;        // an id twice in the replay, or twice live
  std::uint64_t replayed_old = 0;      // a HIST line with an id up to the one asked after
  std::uint64_t live_old = 0;          // a live SAY, after the reconnect, at or before it
  std::uint64_t gaps = 0;              // GAP lines (but those paged back)
  std::uint64_t paged_gaps = 0;        // GAP more, then HISTORY BEFORE (page_back)
  std::uint64_t history_pages = 0;     // HISTORY BEFORE sent
  std::string first_gap;
  std::uint64_t id_mismatches = 0;  // one message with two ids
  std::uint64_t epoch_changes = 0;  // an id of another epoch than the first one
  std::uint64_t garbled = 0;        // not a talker's text, or no id
  std::uint64_t server_errors = 0;  // ERR lines once logged in
  std::string first_server_error;
  std::uint64_t live_out_of_order = 0;  // before the storm: an id below one received earlier
  std::uint64_t min_warmup = 0;         // the fewest messages a client had before the storm
};

// The N clients. Each connects, asks for CAPS ids, logs in and joins bench; at storm()
// every connection is closed and each client comes back with JOIN bench SINCE its last
// id. At most `concurrency` clients are between their connect and the OK of their JOIN.
class Resumers final : public ConnectionHandler {
 public:
  Resumers(EventLoop& loop, const LineDialect& dialect, const Endpoint& server, std::size_t clients,
           std::size_t concurrency, const Talkers& talkers, std::uint64_t warmup_messages,
           bool page_back)
      : loop_(loop),
        dialect_(dialect),
        server_(server),
        concurrency_(std::max<std::size_t>(concurrency, 1)),
        talkers_(talkers),
        warmup_messages_(warmup_messages),
        page_back_(page_back),
        clients_(clients),
        ids_(talkers.count()),
        target_(clients * talkers.count()),
        cursor_(clients * talkers.count()) {
    for (std::size_t id = 0; id < clients; ++id) clients_[id].nick = fmt::format("r{}", id);
  }

  void connect() { launch_more(); }

  // Closes every connection at once and starts coming back.
  void storm(Nanos now) {
    storm_at_ = now;
    for (auto& client : clients_) {
      loop_.close(*client.connection);
      client.phase = Phase::waiting;
      client.resumed = true;
      client.caps_answered = false;
    }
    next_ = 0;
    in_progress_ = 0;
    joined_ = 0;
    launch_more();
  }

  // Sends the LOGINs whose backoff is over.
  void poll(Nanos now) {
    while (!retries_.empty() && retries_.top().first <= now) {
      Client& client = clients_[retries_.top().second];
      retries_.pop();
      if (client.connection->is_open()) loop_.send(*client.connection, login_line(client));
    }
  }

  bool all_joined() const noexcept { return joined_ == clients_.size(); }
  bool warmed_up() const noexcept { return warmed_ == clients_.size(); }
  // Caught up, or told by a GAP that it cannot be (a failure, counted).
  bool all_caught_up() const noexcept { return caught_up_ + gapped_ == clients_.size(); }
  Nanos last_progress() const noexcept { return last_progress_; }

  // Every client has every message owed to it of all the talkers sent so far.
  bool all_delivered() {
    for (std::size_t id = 0; id < clients_.size(); ++id) {
      if (clients_[id].gapped) continue;  // it will not have everything
      for (std::size_t talker = 0; talker < ids_.size(); ++talker) {
        if (advance(id, talker) < talkers_.sent(talker)) return false;
      }
    }
    return true;
  }

  // Per client, from the mass close: logged in again, its JOIN answered, its replay
  // ended, caught up.
  struct Times {
    Histogram logged_in, joined, replayed, caught_up;
    Nanos last_logged_in = 0, last_joined = 0, last_replayed = 0, last_caught_up = 0;
  };
  Times times() const {
    Times times;
    auto add = [&](Histogram& histogram, Nanos& last, Nanos at) {
      if (at == 0) return;
      histogram.record(at - storm_at_);
      last = std::max(last, at - storm_at_);
    };
    for (const auto& client : clients_) {
      add(times.logged_in, times.last_logged_in, client.logged_in_at);
      add(times.joined, times.last_joined, client.joined_at);
      add(times.replayed, times.last_replayed, client.replayed_at);
      add(times.caught_up, times.last_caught_up, client.caught_up_at);
    }
    return times;
  }

  ResumeCounts counts() const {
    ResumeCounts counts = counts_;
    counts.min_warmup = clients_.empty() ? 0 : clients_.front().warmup;
    for (const auto& client : clients_) {
      counts.min_warmup = std::min(counts.min_warmup, client.warmup);
      counts.max_replayed = std::max(counts.max_replayed, client.replayed);
    }
    return counts;
  }

  // The final check: every message the talkers sent whose id is after a client's last
  // id before the storm, that client has (from the replay or live). A message nobody
  // received has no known id: missing for every client.
  struct Missing {
    std::uint64_t count = 0;
    std::uint64_t never_delivered = 0;  // messages no client received
    std::vector<std::string> examples;
    // Messages with an id before a client's last one that it never had: delivered
    // after a later one (out of id order) and still on their way at the close.
    std::uint64_t behind = 0;
    std::vector<std::string> behind_examples;
  };
  Missing missing() const {
    Missing missing;
    for (std::size_t talker = 0; talker < ids_.size(); ++talker) {
      for (std::uint64_t sequence = 0; sequence < talkers_.sent(talker); ++sequence) {
        std::uint64_t n = id_of(talker, sequence);
        if (n == 0) {
          ++missing.never_delivered;
          missing.count += clients_.size();
          if (missing.examples.size() < examples_kept) {
            missing.examples.push_back(
                fmt::format("talker{} #{}: delivered to nobody", talker, sequence));
          }
          continue;
        }
        for (const auto& client : clients_) {
          if (n <= client.last_seen) {
            if (client.behind.test(n)) continue;
            ++missing.behind;
            if (missing.behind_examples.size() < examples_kept) {
              missing.behind_examples.push_back(
                  fmt::format("{}: {}-{} (talker{} #{}), its last id {}-{}", client.nick, epoch_, n,
                              talker, sequence, epoch_, client.last_seen));
            }
            continue;
          }
          if (has(client, n)) continue;
          ++missing.count;
          if (missing.examples.size() < examples_kept) {
            missing.examples.push_back(fmt::format("{}: {}-{} (talker{} #{}), after {}-{}",
                                                   client.nick, epoch_, n, talker, sequence, epoch_,
                                                   client.last_seen));
          }
        }
      }
    }
    return missing;
  }

  const std::string& epoch() const noexcept { return epoch_; }

  // Where the clients are, for a run that timed out.
  std::string progress() const {
    std::size_t stuck = clients_.size();
    for (std::size_t id = 0; id < clients_.size(); ++id) {
      if (clients_[id].ended && clients_[id].caught_up_at == 0 && !clients_[id].gapped) {
        stuck = id;
        break;
      }
    }
    std::string example;
    if (stuck < clients_.size()) {
      const Client& client = clients_[stuck];
      example = fmt::format("; e.g. {} (last id {}-{}):", client.nick, epoch_, client.last_seen);
      for (std::size_t talker = 0; talker < ids_.size(); ++talker) {
        std::uint64_t cursor = cursor_[stuck * ids_.size() + talker];
        example += fmt::format(" talker{} has #{} (of {} to catch up, {} sent; its id {})", talker,
                               cursor, target_[stuck * ids_.size() + talker], talkers_.sent(talker),
                               id_of(talker, cursor));
      }
    }
    return fmt::format(
        "{} of {} clients logged back in, {} rejoined, {} replays ended, {} caught up, {} had a "
        "GAP{}",
        logged_back_, clients_.size(), joined_, replayed_, caught_up_, gapped_, example);
  }

 private:
  // replaying: between the OK of JOIN SINCE and its END; paging: after a GAP more
  // (with page_back), between a HISTORY BEFORE and its END.
  enum class Phase { waiting, connecting, logging_in, joining, replaying, paging, live };
  struct Client {
    std::string nick;
    Connection* connection = nullptr;
    Phase phase = Phase::waiting;
    bool caps_answered = false;
    bool resumed = false;          // past the storm
    unsigned attempts = 0;         // LOGINs answered ERR username-taken
    std::uint64_t warmup = 0;      // messages received before the storm
    std::uint64_t last_seen = 0;   // n of the last id received before the storm
    std::uint64_t max_seen = 0;    // the highest n received before the storm
    std::uint64_t replayed = 0;    // HIST lines after the reconnect
    Bits live, replay;             // after the reconnect: bit n - last_seen - 1
    Bits behind;                   // bit n: had it, n up to last_seen (before the storm or after)
    bool ended = false;            // its replay's END came
    bool gapped = false;           // its replay began with a GAP line (a failure)
    bool more = false;             // its replay began with GAP more, and it pages back
    std::uint64_t page_first = 0;  // the lowest n of the replay or page being read
    std::uint64_t page_lines = 0;  // HIST lines of the replay or page being read
    Nanos logged_in_at = 0, joined_at = 0, replayed_at = 0, caught_up_at = 0;
  };

  void launch_more() {
    while (in_progress_ < concurrency_ && next_ < clients_.size()) {
      std::size_t id = next_++;
      Client& client = clients_[id];
      client.phase = Phase::connecting;
      ++in_progress_;
      try {
        client.connection = &loop_.connect(id, server_, *this);
      } catch (const Failure& e) {
        throw Failure(e.status(),
                      fmt::format("client {} of {}: {}", id + 1, clients_.size(), e.what()));
      }
    }
  }

  std::string login_line(const Client& client) const { return "LOGIN " + client.nick + "\n"; }

  void on_connected(Connection& connection) override {
    Client& client = clients_[connection.id()];
    client.phase = Phase::logging_in;
    loop_.send(connection, dialect_.login(client.nick));  // CAPS ids, LOGIN
  }

  void on_line(Connection& connection, std::string_view line, Nanos now) override {
    std::size_t id = connection.id();
    Client& client = clients_[id];
    Classified classified = dialect_.classify(line);
    switch (classified.kind) {
      case LineKind::feed_text:
        return on_message(id, client, classified, now, false);
      case LineKind::history:
        return on_message(id, client, classified, now, true);
      default:
        break;
    }
    switch (client.phase) {
      case Phase::logging_in:
        return logging_in(id, client, classified, line, now);
      case Phase::joining:
        if (classified.kind == LineKind::welcome) return joined(client, now);
        if (classified.kind == LineKind::refused) {
          throw Failure(exit_setup, fmt::format("{}: JOIN refused: {}", client.nick, line));
        }
        return;
      case Phase::replaying:
      case Phase::paging:
        if (classified.kind == LineKind::history_gap) {
          std::string_view reason = classified.arg.substr(classified.arg.rfind(' ') + 1);
          if (page_back_ && client.phase == Phase::replaying && reason == "more") {
            ++counts_.paged_gaps;
            client.more = true;
            return;
          }
          if (counts_.gaps++ == 0) counts_.first_gap = fmt::format("{}: {}", client.nick, line);
          if (!client.gapped) {
            client.gapped = true;
            ++gapped_;
          }
          return;
        }
        if (classified.kind == LineKind::list_end) return replay_ended(id, client, now);
        break;
      default:
        break;
    }
    if (classified.kind == LineKind::refused && counts_.server_errors++ == 0) {
      counts_.first_server_error = fmt::format("{}: {}", client.nick, line);
    }
  }

  void logging_in(std::size_t id, Client& client, const Classified& line, std::string_view raw,
                  Nanos now) {
    switch (line.kind) {
      case LineKind::caps:
        if (line.arg != "ids") {
          throw Failure(exit_setup, fmt::format("{}: asked for CAPS ids, the server answered: {}",
                                                client.nick, raw));
        }
        client.caps_answered = true;
        return;
      case LineKind::refused:
        if (!client.caps_answered) {
          throw Failure(exit_setup, fmt::format("{}: refused while asking for CAPS ids (a server "
                                                "without message ids?): {}",
                                                client.nick, raw));
        }
        if (client.resumed && line.arg == "username-taken") {
          ++counts_.login_retries;
          Nanos wait = std::min(max_login_backoff, login_backoff_step * ++client.attempts);
          retries_.emplace(now + wait, id);
          return;
        }
        throw Failure(exit_setup, fmt::format("{}: LOGIN refused: {}", client.nick, raw));
      case LineKind::welcome:
        if (!client.caps_answered) {
          throw Failure(exit_setup,
                        fmt::format("{}: logged in without an answer to CAPS ids", client.nick));
        }
        client.phase = Phase::joining;
        if (!client.resumed) {
          loop_.send(*client.connection, dialect_.join_feed());
          return;
        }
        client.logged_in_at = now;
        ++logged_back_;
        // What the talkers have sent by now: the client has caught up once it has all of
        // it (of what is owed to it) and its replay has ended.
        for (std::size_t talker = 0; talker < ids_.size(); ++talker) {
          target_[id * ids_.size() + talker] = talkers_.sent(talker);
        }
        loop_.send(*client.connection,
                   fmt::format("JOIN bench SINCE {}-{}\n", epoch_, client.last_seen));
        return;
      default:
        return;
    }
  }

  void joined(Client& client, Nanos now) {
    --in_progress_;
    ++joined_;
    if (client.resumed) {
      client.joined_at = now;
      client.phase = Phase::replaying;
    } else {
      client.phase = Phase::live;
    }
    launch_more();
  }

  void replay_ended(std::size_t id, Client& client, Nanos now) {
    if (client.more && client.page_lines > 0 && client.page_first > client.last_seen + 1) {
      // More was stored after its last id than the replay held: the rest is before the
      // first one replayed (PROTOCOL.md, Gaps).
      std::uint64_t before = client.page_first;
      client.phase = Phase::paging;
      client.page_first = 0;
      client.page_lines = 0;
      ++counts_.history_pages;
      loop_.send(*client.connection,
                 fmt::format("HISTORY bench BEFORE {}-{} {}\n", epoch_, before, history_page));
      return;
    }
    client.phase = Phase::live;
    client.ended = true;
    client.replayed_at = now;
    ++replayed_;
    check_caught_up(id, client, now);
  }

  // A SAY (live) or HIST (replay) line: "B <talker> <sequence> <ns>", with its id.
  void on_message(std::size_t id, Client& client, const Classified& line, Nanos now, bool replay) {
    std::string_view text = line.arg;
    std::uint64_t talker = 0, sequence = 0, stamp = 0;
    auto parsed_id = parse_id(line.id);
    bool parsed = text.starts_with("B ");
    if (parsed) {
      text.remove_prefix(2);
      parsed = parse_number(text, talker) && parse_number(text, sequence) &&
               parse_number(text, stamp) && talker < ids_.size() &&
               sequence < talkers_.sent(talker) && parsed_id;
    }
    if (!parsed) {
      if (line.id == "-") {
        throw Failure(exit_setup,
                      "messages come with the id -: the server keeps no history "
                      "(resume needs --history memory or sqlite)");
      }
      ++counts_.garbled;
      return;
    }
    last_progress_ = now;
    if (epoch_.empty()) {
      epoch_ = std::string(parsed_id->epoch);
    } else if (parsed_id->epoch != epoch_) {
      ++counts_.epoch_changes;
      return;
    }
    std::uint64_t n = parsed_id->n;
    record_id(talker, sequence, n);

    if (!client.resumed) {  // before the storm
      if (replay) {
        ++counts_.garbled;
        return;
      }
      if (n < client.max_seen) ++counts_.live_out_of_order;
      client.max_seen = std::max(client.max_seen, n);
      client.last_seen = n;
      client.behind.set(n);
      if (++client.warmup == warmup_messages_) ++warmed_;
      return;
    }
    if (replay) {
      ++client.replayed;
      ++counts_.replayed_lines;
      if (client.page_first == 0 || n < client.page_first) client.page_first = n;
      ++client.page_lines;
    }
    if (n <= client.last_seen) {
      // A page of HISTORY BEFORE reaches back past the last id: those are expected.
      if (!replay || client.phase != Phase::paging) {
        ++(replay ? counts_.replayed_old : counts_.live_old);
      }
      client.behind.set(n);
      return;
    }
    std::uint64_t bit = n - client.last_seen - 1;
    Bits& mine = replay ? client.replay : client.live;
    if (mine.test(bit)) {
      ++counts_.duplicated;
      return;
    }
    mine.set(bit);
    if ((replay ? client.live : client.replay).test(bit)) {
      ++counts_.replay_live_dups;
      return;
    }
    std::size_t slot = id * ids_.size() + talker;
    if (advance(id, talker) >= target_[slot] && client.ended) check_caught_up(id, client, now);
  }

  void check_caught_up(std::size_t id, Client& client, Nanos now) {
    if (client.caught_up_at != 0 || client.gapped) return;
    for (std::size_t talker = 0; talker < ids_.size(); ++talker) {
      if (advance(id, talker) < target_[id * ids_.size() + talker]) return;
    }
    client.caught_up_at = now;
    ++caught_up_;
  }

  // Moves the client's cursor for `talker` past every message it is not owed (an id
  // up to its last one before the storm) or has; returns it.
  std::uint64_t advance(std::size_t id, std::size_t talker) {
    const Client& client = clients_[id];
    std::uint64_t& cursor = cursor_[id * ids_.size() + talker];
    std::uint64_t sent = talkers_.sent(talker);
    while (cursor < sent) {
      std::uint64_t n = id_of(talker, cursor);
      if (n == 0 || (n > client.last_seen && !has(client, n))) break;
      ++cursor;
    }
    return cursor;
  }

  static bool has(const Client& client, std::uint64_t n) {
    std::uint64_t bit = n - client.last_seen - 1;
    return client.live.test(bit) || client.replay.test(bit);
  }

  std::uint64_t id_of(std::size_t talker, std::uint64_t sequence) const {
    const auto& ids = ids_[talker];
    return sequence < ids.size() ? ids[sequence] : 0;
  }

  // Every recipient must see a message under the same id.
  void record_id(std::size_t talker, std::uint64_t sequence, std::uint64_t n) {
    auto& ids = ids_[talker];
    if (sequence >= ids.size()) ids.resize(talkers_.sent(talker));
    if (ids[sequence] == 0) {
      ids[sequence] = n;
    } else if (ids[sequence] != n) {
      ++counts_.id_mismatches;
    }
  }

  void on_closed(Connection& connection, std::string_view why) override {
    const Client& client = clients_[connection.id()];
    if (client.phase == Phase::live || client.phase == Phase::replaying ||
        client.phase == Phase::paging) {
      throw Failure(exit_incorrect, fmt::format("{} was disconnected: {}", client.nick, why));
    }
    throw Failure(exit_setup, fmt::format("{} (client {} of {}): {} before it had joined",
                                          client.nick, connection.id() + 1, clients_.size(), why));
  }

  using Retry = std::pair<Nanos, std::size_t>;

  EventLoop& loop_;
  const LineDialect& dialect_;
  Endpoint server_;
  std::size_t concurrency_;
  const Talkers& talkers_;
  std::uint64_t warmup_messages_;
  bool page_back_;
  std::vector<Client> clients_;
  std::vector<std::vector<std::uint64_t>> ids_;  // per talker, per sequence: n (0: unknown)
  std::vector<std::uint64_t> target_;            // per client and talker
  std::vector<std::uint64_t> cursor_;            // per client and talker
  std::string epoch_;
  std::priority_queue<Retry, std::vector<Retry>, std::greater<>> retries_;
  std::size_t next_ = 0;
  std::size_t in_progress_ = 0;
  std::size_t joined_ = 0;
  std::size_t warmed_ = 0;
  std::size_t logged_back_ = 0;
  std::size_t replayed_ = 0;
  std::size_t caught_up_ = 0;
  std::size_t gapped_ = 0;
  Nanos storm_at_ = 0;
  Nanos last_progress_ = 0;
  ResumeCounts counts_;
};

// Runs the loop, the talkers' pacing and the LOGIN retries until `done()` holds.
template <typename Done>
void run_talking(EventLoop& loop, Talkers& talkers, Resumers& resumers, const Deadline& deadline,
                 std::string_view doing, Done done) {
  while (!done()) {
    try {
      deadline.check(doing);
    } catch (const Failure& e) {
      throw Failure(e.status(), fmt::format("{}: {}", e.what(), resumers.progress()));
    }
    loop.run_once(1);
    Nanos now = now_ns();
    talkers.pump(now);
    resumers.poll(now);
  }
}

}  // namespace

int run_resume(const CommonOptions& common, const ResumeOptions& options) {
  if (common.dialect != "line") {
    throw Failure(exit_setup, "resume is socketchat's line protocol only (CAPS ids, JOIN SINCE)");
  }
  if (common.line_feed != "room") {
    throw Failure(exit_setup, "resume uses the room bench: --line-feed room");
  }
  if (options.clients < 1 || options.talkers < 1) {
    throw Failure(exit_setup, "resume needs at least 1 client and 1 talker");
  }
  if (!(options.rate > 0)) throw Failure(exit_setup, "--rate must be above 0");
  if (options.warmup_messages < 1) throw Failure(exit_setup, "--warmup-messages must be 1 or more");
  long files = raise_file_limit();
  auto needed = static_cast<long>(options.clients + options.talkers) + spare_resume_files;
  if (files < needed) {
    throw Failure(exit_setup, fmt::format("{} clients and {} talkers need about {} files, the "
                                          "limit is {} (ulimit -n)",
                                          options.clients, options.talkers, needed, files));
  }

  Deadline deadline(common.timeout_seconds);
  Endpoint server = common.server();
  EventLoop loop(make_transport(common.transport, server));
  LineDialect plain(LineFeed::room);
  LineDialect with_ids(LineFeed::room, LineCaps::ids);
  Talkers talkers(loop, plain, server, options.talkers, options.rate, common.concurrency);
  Resumers resumers(loop, with_ids, server, options.clients, common.concurrency, talkers,
                    options.warmup_messages, options.page_back);

  Nanos login_start = now_ns();
  talkers.connect();
  resumers.connect();
  run_until(loop, deadline, "logging in", [&] { return talkers.ready() && resumers.all_joined(); });
  Nanos login_time = now_ns() - login_start;

  talkers.begin(now_ns());
  run_talking(loop, talkers, resumers, deadline, "warming up",
              [&] { return resumers.warmed_up(); });
  std::uint64_t sent_before = talkers.total_sent();

  CpuMeter cpu(common.server_pid);
  cpu.start();
  Nanos storm = now_ns();
  resumers.storm(storm);
  run_talking(loop, talkers, resumers, deadline, "coming back",
              [&] { return resumers.all_caught_up(); });
  Nanos caught_up = now_ns();
  std::uint64_t sent_in_storm = talkers.total_sent() - sent_before;

  Nanos tail_end = caught_up + static_cast<Nanos>(options.tail_seconds * 1e9);
  run_talking(loop, talkers, resumers, deadline, "talking after the storm",
              [&] { return now_ns() >= tail_end; });
  talkers.stop();
  Nanos stopped = now_ns();
  Nanos next_check = 0;
  bool drained = false;
  run_talking(loop, talkers, resumers, deadline, "draining", [&] {
    Nanos now = now_ns();
    if (now >= next_check) {
      next_check = now + drain_check_interval;
      if (resumers.all_delivered()) return drained = true;
    }
    return seconds_of(now - std::max(resumers.last_progress(), stopped)) > options.drain_seconds;
  });
  cpu.stop();
  double wall = seconds_of(now_ns() - storm);

  ResumeCounts counts = resumers.counts();
  Resumers::Times times = resumers.times();
  Resumers::Missing missing = resumers.missing();
  std::uint64_t sent = talkers.total_sent();

  Report report(fmt::format("resume  dialect=line caps=ids{} clients={} talkers={} rate={}/s{}",
                            common.transport_label(), options.clients, options.talkers,
                            options.rate, options.page_back ? " +page-back" : ""));
  auto& json = report.json();
  json["scenario"] = "resume";
  json["transport"] = common.transport;
  json["clients"] = options.clients;
  json["talkers"] = options.talkers;
  json["rate"] = options.rate;
  json["concurrency"] = common.concurrency;
  report.row("login", fmt::format("{} clients and {} talkers ready in {}", options.clients,
                                  options.talkers, human_duration(login_time)));
  report.row("before the storm",
             fmt::format("{} messages sent; each client had at least {}, the last id kept",
                         human_count(static_cast<double>(sent_before)), counts.min_warmup));
  auto phase = [&](std::string_view label, std::string_view key, const Histogram& each,
                   Nanos last) {
    report.row(label, fmt::format("all in {}; per client p50 {}, p99 {}", human_duration(last),
                                  human_duration(each.percentile(0.50)),
                                  human_duration(each.percentile(0.99))));
    json[std::string(key)] = {{"all_s", rounded(seconds_of(last))},
                              {"p50_s", rounded(seconds_of(each.percentile(0.50)))},
                              {"p99_s", rounded(seconds_of(each.percentile(0.99)))}};
  };
  report.row("storm", fmt::format("all {} closed at once, then back {} at a time", options.clients,
                                  common.concurrency));
  phase("logged back in (OK), from the close", "logged_in", times.logged_in, times.last_logged_in);
  phase("rejoined (JOIN SINCE's OK)", "rejoined", times.joined, times.last_joined);
  phase("replay ended (END)", "replayed", times.replayed, times.last_replayed);
  phase("caught up", "caught_up", times.caught_up, times.last_caught_up);
  if (times.caught_up.count() < options.clients) {
    report.row("", fmt::format("(of {} clients only {} caught up: the others had a GAP line)",
                               options.clients, times.caught_up.count()));
  }
  json["caught_up_clients"] = times.caught_up.count();
  report.row("",
             "(caught up: its replay ended, and it has every message owed to it that the "
             "talkers had sent when it was logged back in)");
  report.row("LOGIN retries (username-taken)",
             human_count(static_cast<double>(counts.login_retries)));
  report.row("messages sent during the storm",
             fmt::format("{} (from the close until all caught up, {:.3f} s); {} in all",
                         human_count(static_cast<double>(sent_in_storm)),
                         seconds_of(caught_up - storm), human_count(static_cast<double>(sent))));
  report.row(
      "replayed (HIST lines)",
      fmt::format("{}; at most {} for one client",
                  human_count(static_cast<double>(counts.replayed_lines)), counts.max_replayed));
  report.row("duplicates, replay vs live (expected)",
             human_count(static_cast<double>(counts.replay_live_dups)));
  report.row("missing", human_count(static_cast<double>(missing.count)));
  for (const auto& example : missing.examples) report.row("  e.g.", example);
  report.row("never had, before its last id", human_count(static_cast<double>(missing.behind)));
  for (const auto& example : missing.behind_examples) report.row("  e.g.", example);
  if (missing.never_delivered != 0) {
    report.row("delivered to nobody", human_count(static_cast<double>(missing.never_delivered)));
  }
  report.row("GAP lines", counts.gaps == 0
                              ? std::string("0")
                              : fmt::format("{} (first: {})", counts.gaps, counts.first_gap));
  if (options.page_back) {
    report.row("GAP more, paged back", fmt::format("{} clients, {} HISTORY BEFORE pages",
                                                   counts.paged_gaps, counts.history_pages));
  }
  if (counts.duplicated != 0) {
    report.row("duplicated (twice replayed or twice live)", std::to_string(counts.duplicated));
  }
  if (counts.replayed_old != 0) {
    report.row("replayed at or before the id asked after", std::to_string(counts.replayed_old));
  }
  if (counts.live_old != 0) {
    report.row("live after the reconnect, at or before its id", std::to_string(counts.live_old));
  }
  if (counts.id_mismatches != 0) {
    report.row("one message under two ids", std::to_string(counts.id_mismatches));
  }
  if (counts.epoch_changes != 0) {
    report.row("ids of another epoch", std::to_string(counts.epoch_changes));
  }
  if (counts.garbled != 0) report.row("garbled", std::to_string(counts.garbled));
  report.row("live SAY before the storm, id below an earlier one",
             human_count(static_cast<double>(counts.live_out_of_order)));
  std::uint64_t server_errors = counts.server_errors + talkers.server_errors();
  if (server_errors != 0) {
    report.row("error replies from server",
               fmt::format("{} (first: {})", server_errors,
                           counts.server_errors != 0 ? counts.first_server_error
                                                     : talkers.first_server_error()));
  }
  if (!drained) {
    report.row("drain", fmt::format("nothing arrived for {} s with messages still owed",
                                    options.drain_seconds));
  }
  if (std::size_t unsent = talkers.unsent_bytes(); unsent != 0) {
    report.row("talkers' unsent bytes", fmt::format("{} (the server stopped reading)", unsent));
  }
  json["sent_before"] = sent_before;
  json["sent_in_storm"] = sent_in_storm;
  json["sent"] = sent;
  json["login_retries"] = counts.login_retries;
  json["replayed_lines"] = counts.replayed_lines;
  json["max_replayed"] = counts.max_replayed;
  json["replay_live_duplicates"] = counts.replay_live_dups;
  json["missing"] = missing.count;
  json["never_delivered"] = missing.never_delivered;
  json["missing_behind"] = missing.behind;
  json["gaps"] = counts.gaps;
  json["page_back"] = options.page_back;
  json["paged_gaps"] = counts.paged_gaps;
  json["history_pages"] = counts.history_pages;
  json["duplicated"] = counts.duplicated;
  json["replayed_old"] = counts.replayed_old;
  json["live_old"] = counts.live_old;
  json["id_mismatches"] = counts.id_mismatches;
  json["epoch_changes"] = counts.epoch_changes;
  json["garbled"] = counts.garbled;
  json["live_out_of_order"] = counts.live_out_of_order;
  json["server_errors"] = server_errors;
  json["drained"] = drained;
  report.cpu(cpu, wall);

  bool correct = missing.count == 0 && missing.behind == 0 && counts.gaps == 0 &&
                 counts.duplicated == 0 && counts.replayed_old == 0 && counts.id_mismatches == 0 &&
                 counts.epoch_changes == 0 && counts.garbled == 0 && server_errors == 0 && drained;
  if (!correct) report.warn("messages were missing, duplicated or garbled, or a GAP came");
  json["ok"] = correct;
  report.print();
  return correct ? exit_ok : exit_incorrect;
}

}  // namespace bench
