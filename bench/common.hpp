#pragma once

// Settings every scenario shares, and the overall deadline they all run under.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "event_loop.hpp"

namespace bench {

struct CommonOptions {
  std::string host = "127.0.0.1";
  int port = 7000;
  std::vector<int> ports;  // fanout: client i connects to ports[i % n]; empty: port
  std::string dialect = "line";
  std::string line_feed = "room";  // the line dialect's feed: room or global
  std::string transport = "tcp";   // tcp, tls or ws (transport.hpp)
  std::string caps;                // the line dialect's capabilities: "" or "ids"
  double timeout_seconds = 120;    // the whole run, login included
  int server_pid = 0;              // for its CPU time and memory; 0 = unknown
  std::size_t concurrency = 200;   // clients connecting or logging in at once

  Endpoint server() const;
  // One endpoint per entry of `ports`, or server() alone when it is empty.
  std::vector<Endpoint> servers() const;
  // " transport=tls" for a report's title; empty for plain TCP.
  std::string transport_label() const;
  // " caps=ids" for a report's title; empty without capabilities.
  std::string caps_label() const;
};

// 127.0.0.2, 127.0.0.3, ... enough for `connections` at `per_source` each: one
// source address serves as many connections to the server's port as its ephemeral
// port range holds. Throws Failure past 250 addresses.
std::vector<in_addr> source_addresses(std::size_t connections, std::size_t per_source);

// The run's overall time limit: check() throws Failure(exit_timeout) once it passed.
class Deadline {
 public:
  explicit Deadline(double seconds);
  void check(std::string_view doing) const;

 private:
  Nanos end_;
};

// Runs the loop until `done()` holds, checking the deadline between rounds.
template <typename Done>
void run_until(EventLoop& loop, const Deadline& deadline, std::string_view doing, Done done) {
  while (!done()) {
    deadline.check(doing);
    loop.run_once(10);
  }
}

// Takes a whole number and the space after it (if any) off the front of `text` (a
// message's "<sender> <sequence> <stamp>" head). False if it does not start with one.
bool parse_number(std::string_view& text, std::uint64_t& value);

}  // namespace bench
