#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace socketchat::detail {

// How many error events the server has published, by their detail (the log's word:
// "history-write-failed", "tls-handshake-failed"), for /metrics: an operator alerts on
// a count rather than on log lines. The details are the server's own words, a few dozen
// at most; past max_details of them (an embedder's transports add their own), the rest
// are counted as "other", so the table cannot grow without bound.
class ErrorCounts {
 public:
  static constexpr std::size_t max_details = 32;
  static constexpr std::string_view other = "other";  // and an error with no detail

  void count(std::string_view detail) noexcept;
  // Each detail counted so far with its count, in the order they first came.
  std::vector<std::pair<std::string, std::uint64_t>> snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::uint64_t>> counts_;
};

}  // namespace socketchat::detail
