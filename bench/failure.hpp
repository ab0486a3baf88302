#pragma once

// Why the load generator stops early, and with which exit status.

#include <stdexcept>
#include <string>

namespace bench {

enum ExitStatus : int {
  exit_ok = 0,
  exit_incorrect = 1,  // lost, duplicated, reordered or garbled messages
  exit_setup = 2,      // could not connect, log in or join
  exit_timeout = 3,    // --timeout passed
};

class Failure : public std::runtime_error {
 public:
  Failure(ExitStatus status, const std::string& what) : std::runtime_error(what), status_(status) {}
  ExitStatus status() const noexcept { return status_; }

 private:
  ExitStatus status_;
};

}  // namespace bench
