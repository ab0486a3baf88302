#pragma once

// What an in-process user (LocalUser) is sent, for a test to read or wait for.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <socketchat/local_user.hpp>

namespace socketchat::test {

// Keeps every line the user is sent, and its parts as `describe` writes them. The
// handler runs on the server's threads, so an Inbox must outlive the server.
class Inbox {
 public:
  using Describe = std::function<std::string(const Incoming&)>;
  // "<kind>|<room>|<from>|<text>"
  static std::string all_parts(const Incoming& in);

  explicit Inbox(Describe describe = all_parts) : describe_(std::move(describe)) {}

  LocalUser::Handler handler();

  // The next line not yet returned, read one at a time like a LineClient's, or a
  // marker that none came within default_wait.
  std::string next();
  // The parts of the line last returned by next().
  std::string last_parts();

  // Waits for a line equal to `line` among all that came; false after default_wait.
  bool wait_for(const std::string& line);
  // Waits for a line that starts with `start` and ends with `end` (its middle varies:
  // a timestamp); false after default_wait.
  bool wait_for_start(const std::string& start, const std::string& end);
  // The parts of every line so far, oldest first.
  std::vector<std::string> parts();

 private:
  Describe describe_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_, parts_;
  std::size_t read_ = 0;  // how many lines next() has returned
};

}  // namespace socketchat::test
