#include "password_input.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace socketchatd {

namespace {

// Turns the terminal's echo off for its lifetime; the newline still shows (ECHONL), so
// the next prompt starts a line of its own.
class NoEcho {
 public:
  NoEcho() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~NoEcho() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

std::optional<std::string> read_line() {
  std::string line;
  if (!std::getline(std::cin, line) && line.empty()) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();  // a file written on Windows
  return line;
}

}  // namespace

std::optional<std::string> read_new_password(std::string& why) {
  if (!::isatty(STDIN_FILENO)) {
    auto password = read_line();
    if (!password) why = "no password on standard input";
    return password;
  }
  NoEcho no_echo;
  std::cerr << "Password: " << std::flush;
  auto first = read_line();
  if (!first) {
    why = "no password given";
    return std::nullopt;
  }
  std::cerr << "Password again: " << std::flush;
  auto second = read_line();
  if (second != first) {
    why = "the two passwords differ";
    return std::nullopt;
  }
  return first;
}

}  // namespace socketchatd
