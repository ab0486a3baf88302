#pragma once

// What a scenario prints: a table for people, then the same numbers as one JSON
// line prefixed "RESULT " for scripts.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "histogram.hpp"
#include "process_stats.hpp"

namespace bench {

class Report {
 public:
  explicit Report(std::string title) : title_(std::move(title)) {}

  void row(std::string_view label, std::string value);
  void warn(std::string text) { warnings_.push_back(std::move(text)); }
  nlohmann::ordered_json& json() noexcept { return json_; }

  // Latency rows and json["<key>"] = {p50_us, p99_us, max_us, count}.
  void latency(std::string_view label, std::string_view key, const Histogram& histogram);
  // CPU rows and json keys; warns when the load generator was nearly saturated.
  void cpu(const CpuMeter& meter, double wall_seconds);

  void print() const;

 private:
  std::string title_;
  std::vector<std::pair<std::string, std::string>> rows_;
  std::vector<std::string> warnings_;
  nlohmann::ordered_json json_ = nlohmann::ordered_json::object();
};

// "850 ns", "12.3 us", "4.56 ms", "1.23 s"
std::string human_duration(std::int64_t nanos);
// "1,234,567"
std::string human_count(double value);

}  // namespace bench
