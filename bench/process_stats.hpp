#pragma once

// CPU time and memory, of this process and of the server under test (by its pid,
// read from /proc), so a report can say which side was busy.

#include <optional>

namespace bench {

// User plus system CPU seconds this process has used.
double own_cpu_seconds();

// The same for another process (all its threads); nullopt if it cannot be read.
std::optional<double> process_cpu_seconds(int pid);

// VmRSS from /proc/<pid>/status, in KiB.
std::optional<long> resident_kib(int pid);

// Raises this process's open-file soft limit to its hard limit; returns the new limit.
long raise_file_limit();

// Samples own and server CPU between two points in time.
class CpuMeter {
 public:
  explicit CpuMeter(int server_pid);
  void start();
  void stop();
  double own_seconds() const noexcept { return own_; }
  std::optional<double> server_seconds() const noexcept { return server_; }

 private:
  int server_pid_;
  double own_start_ = 0, own_ = 0;
  std::optional<double> server_start_, server_;
};

}  // namespace bench
