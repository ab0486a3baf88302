#include "report.hpp"

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

namespace bench {

namespace {

// Above this share of the wall time on CPU, the load generator may be what limits
// the measured rate.
constexpr double busy_warning = 0.85;
constexpr double min_judged_seconds = 0.5;

double micros(std::int64_t nanos) {
  return std::round(static_cast<double>(nanos) / 10.0) / 100.0;
}

}  // namespace

std::string human_duration(std::int64_t nanos) {
  auto n = static_cast<double>(nanos);
  if (nanos < 1'000) return fmt::format("{} ns", nanos);
  if (nanos < 1'000'000) return fmt::format("{:.1f} us", n / 1e3);
  if (nanos < 1'000'000'000) return fmt::format("{:.2f} ms", n / 1e6);
  return fmt::format("{:.2f} s", n / 1e9);
}

std::string human_count(double value) {
  auto digits = fmt::format("{:.0f}", value);
  std::string out;
  std::size_t first = digits.starts_with('-') ? 1 : 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > first && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

void Report::row(std::string_view label, std::string value) {
  rows_.emplace_back(std::string(label), std::move(value));
}

void Report::latency(std::string_view label, std::string_view key, const Histogram& histogram) {
  row(fmt::format("{} p50 / p99 / max", label),
      fmt::format("{} / {} / {}  ({} samples)", human_duration(histogram.percentile(0.50)),
                  human_duration(histogram.percentile(0.99)), human_duration(histogram.max()),
                  human_count(static_cast<double>(histogram.count()))));
  json_[std::string(key)] = {{"p50_us", micros(histogram.percentile(0.50))},
                             {"p99_us", micros(histogram.percentile(0.99))},
                             {"max_us", micros(histogram.max())},
                             {"count", histogram.count()}};
}

void Report::cpu(const CpuMeter& meter, double wall_seconds) {
  double busy = wall_seconds > 0 ? meter.own_seconds() / wall_seconds : 0;
  row("load generator CPU", fmt::format("{:.2f} s of {:.2f} s wall ({:.0f} %)", meter.own_seconds(),
                                        wall_seconds, busy * 100));
  json_["loadgen_cpu_s"] = std::round(meter.own_seconds() * 1000) / 1000;
  json_["wall_s"] = std::round(wall_seconds * 1000) / 1000;
  if (auto server = meter.server_seconds()) {
    row("server CPU", fmt::format("{:.2f} s ({:.0f} % of wall)", *server,
                                  wall_seconds > 0 ? *server / wall_seconds * 100 : 0));
    json_["server_cpu_s"] = std::round(*server * 1000) / 1000;
  }
  // CPU times tick in 10 ms steps (/proc) or are too noisy below this.
  bool long_enough = wall_seconds >= min_judged_seconds;
  if (!long_enough) {
    row("", fmt::format("(under {:.1f} s: too short to judge who was busy)", min_judged_seconds));
    busy = 0;
  }
  if (busy > busy_warning) {
    warn(
        fmt::format("the load generator was on CPU {:.0f} % of the time: it may be the "
                    "bottleneck, read the rates as lower bounds",
                    busy * 100));
  }
  json_["loadgen_saturated"] = busy > busy_warning;
}

void Report::print() const {
  std::size_t width = 0;
  for (const auto& [label, value] : rows_) width = std::max(width, label.size());
  fmt::print("{}\n", title_);
  for (const auto& [label, value] : rows_) fmt::print("  {:<{}}  {}\n", label, width, value);
  for (const auto& warning : warnings_) fmt::print("  warning: {}\n", warning);
  fmt::print("RESULT {}\n", json_.dump());
  std::fflush(stdout);
}

}  // namespace bench
