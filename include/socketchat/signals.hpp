#pragma once

#include <initializer_list>

namespace socketchat {

// Waits for a shutdown (or reload) signal without a signal handler. Construct it in
// main() before starting the server: it blocks the signals in the calling thread, and
// the threads the server starts afterwards inherit that, so the signals are only ever
// taken by wait().
//
//   socketchat::ShutdownSignals signals;   // SIGINT and SIGTERM
//   server.start();
//   signals.wait();
//   server.stop();
class ShutdownSignals {
 public:
  ShutdownSignals();  // SIGINT and SIGTERM
  explicit ShutdownSignals(std::initializer_list<int> signals);
  // Restores the signal mask of the calling thread.
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Blocks until one of the signals arrives; returns its number.
  int wait();

 private:
  unsigned long set_[16];  // a sigset_t, without <signal.h> in the public header
  unsigned long saved_[16];
};

}  // namespace socketchat
