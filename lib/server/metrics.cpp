#include "server/metrics.hpp"

#include <fmt/format.h>

#include "sinks/error_counts.hpp"

namespace socketchat::detail {

Metrics::Metrics() : names_{"tcp", "tls", "ws", "wss", "local"} {}

std::size_t Metrics::transport_slot(std::string_view name) {
  std::lock_guard lock(names_mutex_);
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return i;
  }
  if (names_.size() == max_transports) return max_transports - 1;
  names_.emplace_back(name);
  return names_.size() - 1;
}

namespace {

// A label's value as the exposition format quotes it.
std::string label_value(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string Metrics::render(const Elsewhere& figures, const ErrorCounts& errors) const {
  auto load = [](const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  fmt::memory_buffer out;
  auto it = std::back_inserter(out);
  auto family = [&](const char* name, const char* type, const char* help) {
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  std::vector<std::string> names;
  {
    std::lock_guard lock(names_mutex_);
    names = names_;
  }
  family("socketchat_connections", "gauge", "Open connections, by transport.");
  for (std::size_t t = 0; t < names.size(); ++t) {
    fmt::format_to(it, "socketchat_connections{{transport=\"{}\"}} {}\n", names[t], load(open_[t]));
  }
  family("socketchat_connections_accepted_total", "counter", "Connections accepted, by transport.");
  for (std::size_t t = 0; t < names.size(); ++t) {
    fmt::format_to(it, "socketchat_connections_accepted_total{{transport=\"{}\"}} {}\n", names[t],
                   load(accepted_[t]));
  }
  family("socketchat_users", "gauge", "Logged-in users.");
  fmt::format_to(it, "socketchat_users {}\n", figures.users);
  family("socketchat_commands_total", "counter", "Commands received from clients.");
  fmt::format_to(it, "socketchat_commands_total {}\n", load(commands_));
  family("socketchat_received_bytes_total", "counter", "Bytes received from clients.");
  fmt::format_to(it, "socketchat_received_bytes_total {}\n", load(bytes_in_));
  family("socketchat_sent_messages_total", "counter",
         "Messages (encoded lines or batches of lines) written to clients.");
  fmt::format_to(it, "socketchat_sent_messages_total {}\n", load(messages_out_));
  family("socketchat_sent_bytes_total", "counter", "Bytes written to clients.");
  fmt::format_to(it, "socketchat_sent_bytes_total {}\n", load(bytes_out_));
  family("socketchat_sendq_drops_total", "counter", "Slow readers disconnected at sendq_bytes.");
  fmt::format_to(it, "socketchat_sendq_drops_total {}\n", load(sendq_drops_));
  family("socketchat_rate_limited_total", "counter", "Commands refused by the rate limit.");
  fmt::format_to(it, "socketchat_rate_limited_total {}\n", load(rate_limited_));
  family("socketchat_sink_events_dropped_total", "counter",
         "Events (log lines) an AsyncSink dropped because its queue was full.");
  fmt::format_to(it, "socketchat_sink_events_dropped_total {}\n", figures.sink_events_dropped);
  family("socketchat_history_backlog_messages", "gauge",
         "Messages accepted and not yet written to the history store (journaled ones until "
         "indexed).");
  fmt::format_to(it, "socketchat_history_backlog_messages {}\n", figures.history_backlog);
  family("socketchat_errors_total", "counter",
         "Errors the server survived, by the word its log gives them (detail).");
  for (const auto& [detail, count] : errors.snapshot()) {
    fmt::format_to(it, "socketchat_errors_total{{detail=\"{}\"}} {}\n", label_value(detail), count);
  }
  return {out.data(), out.size()};
}

}  // namespace socketchat::detail
