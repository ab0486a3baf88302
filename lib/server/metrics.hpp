#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace socketchat::detail {

// Counters for /metrics. Relaxed atomics, bumped once per read, per command or per
// write batch (never once per recipient of a message), so they cost nothing that shows.
class Metrics {
 public:
  enum Transport { tcp, tls, ws, wss, local, transport_count };

  static Transport transport_of(std::string_view name) noexcept {
    if (name == "tls") return tls;
    if (name == "ws") return ws;
    if (name == "wss") return wss;
    if (name == "local") return local;
    return tcp;
  }

  void opened(Transport t) noexcept { add(open_[t], 1), add(accepted_[t], 1); }
  void closed(Transport t) noexcept { open_[t].fetch_sub(1, std::memory_order_relaxed); }
  void received(std::uint64_t bytes) noexcept { add(bytes_in_, bytes); }
  void command() noexcept { add(commands_, 1); }
  void sent(std::uint64_t messages, std::uint64_t bytes) noexcept {
    add(messages_out_, messages), add(bytes_out_, bytes);
  }
  void sendq_drop() noexcept { add(sendq_drops_, 1); }
  void rate_limited() noexcept { add(rate_limited_, 1); }

  // The Prometheus text exposition format (version 0.0.4), with the figures kept
  // elsewhere: logged-in users and the events AsyncSinks dropped.
  std::string render(std::size_t users, std::uint64_t sink_events_dropped) const;

 private:
  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n) noexcept {
    counter.fetch_add(n, std::memory_order_relaxed);
  }

  std::array<std::atomic<std::uint64_t>, transport_count> open_{}, accepted_{};
  std::atomic<std::uint64_t> bytes_in_{0}, commands_{0}, messages_out_{0}, bytes_out_{0};
  std::atomic<std::uint64_t> sendq_drops_{0}, rate_limited_{0};
};

}  // namespace socketchat::detail
