#pragma once

// A blocking line-protocol client for integration tests: one real TCP connection to
// a server on loopback. Every wait is bounded, so a broken server fails the test
// (at the line of the test that waited) instead of hanging it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace socketchat::test {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long any single wait may take before the test fails.
inline constexpr milliseconds default_wait{5000};

struct ClientOptions {
  // Bind the client's end here before connecting, e.g. "127.0.0.2", to connect from
  // another loopback address. Empty: the kernel picks.
  std::string local_address{};
  // SO_RCVBUF set before connecting (so the window is small from the start), to make
  // a slow reader. 0: the system default.
  int receive_buffer = 0;
};

class LineClient {
 public:
  using Where = std::source_location;

  // Connects to 127.0.0.1:port; fails the test if it cannot.
  explicit LineClient(std::uint16_t port, ClientOptions options = {},
                      Where where = Where::current());
  ~LineClient();
  LineClient(LineClient&& other) noexcept;
  LineClient& operator=(LineClient&& other) noexcept;
  LineClient(const LineClient&) = delete;
  LineClient& operator=(const LineClient&) = delete;

  // Sends every byte, as one write as far as the kernel allows; fails the test if
  // the server stops reading for default_wait.
  void send(std::string_view bytes, Where where = Where::current());

  // The next line without its LF, or nullopt if none came within `within` or the
  // server closed the connection (then closed() is true).
  std::optional<std::string> read_line(milliseconds within = default_wait);

  // The next line must be exactly `expected`. A different line is a failed check;
  // no line at all (timeout or close) ends the test.
  void expect_line(std::string_view expected, Where where = Where::current());
  // The server must close the connection cleanly (FIN, not RST) with no further
  // bytes, within `within`.
  void expect_eof(milliseconds within = default_wait, Where where = Where::current());
  // Proves nothing else was sent to this client so far: the PONG to a fresh PING
  // must be the very next line.
  void expect_quiet(Where where = Where::current());

  // Ends the sending side (a FIN, as ncat does when its input ends); reading goes on.
  void shutdown_send() noexcept;

  // Ends the connection abruptly: SO_LINGER 0, then close, so the server sees a RST.
  void reset() noexcept;

  bool closed() const noexcept { return eof_ || reset_; }
  bool was_reset() const noexcept { return reset_; }

 private:
  enum class Outcome { line, timeout, eof, reset };
  Outcome receive_line(milliseconds within, std::string& line);
  void close_socket() noexcept;

  int fd_ = -1;
  std::string inbox_;  // bytes received but not yet returned as lines
  bool eof_ = false;
  bool reset_ = false;
};

// Connects and logs in as `name`, expecting OK.
LineClient logged_in(std::uint16_t port, std::string_view name, ClientOptions options = {},
                     LineClient::Where where = LineClient::Where::current());

// Sends `request` and returns the lines of its answer up to END (END excluded). No END
// within default_wait ends the test.
std::vector<std::string> listing(LineClient& client, std::string_view request,
                                 LineClient::Where where = LineClient::Where::current());

// The bytes with anything but printable ASCII shown as \xNN (and \ as \\), so a
// failure message shows exactly what was on the wire.
std::string escaped(std::string_view bytes);

// Polls `condition` until it holds or `within` has passed; true if it held.
template <class Condition>
bool eventually(Condition condition, milliseconds within = default_wait) {
  const auto deadline = Clock::now() + within;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds{1});  // a polling interval, not a synchronisation
  }
  return true;
}

}  // namespace socketchat::test
