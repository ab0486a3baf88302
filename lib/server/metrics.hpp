#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace socketchat::detail {

class ErrorCounts;

// Counters for /metrics. Relaxed atomics, bumped once per read, per command or per
// write batch (never once per recipient of a message), so they cost nothing that shows.
class Metrics {
 public:
  // Connections are counted by transport: the built-in ones, "local" (in-process
  // users), and each scheme an embedder registered, up to max_transports in all (the
  // rest are counted with the last).
  static constexpr std::size_t max_transports = 16;
  static constexpr std::size_t local = 4;  // of the built-in names below

  Metrics();
  // The slot of a transport's counters, made on first use; a session asks once.
  std::size_t transport_slot(std::string_view name);

  void opened(std::size_t t) noexcept { add(open_[t], 1), add(accepted_[t], 1); }
  void closed(std::size_t t) noexcept { open_[t].fetch_sub(1, std::memory_order_relaxed); }
  void received(std::uint64_t bytes) noexcept { add(bytes_in_, bytes); }
  void command() noexcept { add(commands_, 1); }
  void sent(std::uint64_t messages, std::uint64_t bytes) noexcept {
    add(messages_out_, messages), add(bytes_out_, bytes);
  }
  void sendq_drop() noexcept { add(sendq_drops_, 1); }
  void rate_limited() noexcept { add(rate_limited_, 1); }

  // What /metrics shows that is kept elsewhere, read when it is asked for.
  struct Elsewhere {
    std::size_t users = 0;                  // logged in
    std::uint64_t sink_events_dropped = 0;  // by AsyncSinks, in the whole process
    std::uint64_t history_backlog = 0;      // messages accepted, not yet in the store
  };
  // The Prometheus text exposition format (version 0.0.4), with the figures kept
  // elsewhere and the errors published.
  std::string render(const Elsewhere& figures, const ErrorCounts& errors) const;

 private:
  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n) noexcept {
    counter.fetch_add(n, std::memory_order_relaxed);
  }

  mutable std::mutex names_mutex_;
  std::vector<std::string> names_;  // of the slots in use, under names_mutex_
  std::array<std::atomic<std::uint64_t>, max_transports> open_{}, accepted_{};
  std::atomic<std::uint64_t> bytes_in_{0}, commands_{0}, messages_out_{0}, bytes_out_{0};
  std::atomic<std::uint64_t> sendq_drops_{0}, rate_limited_{0};
};

}  // namespace socketchat::detail
