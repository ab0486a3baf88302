#include "socketchat/signals.hpp"

#include <pthread.h>
#include <signal.h>

#include <system_error>

namespace socketchat {

static_assert(sizeof(sigset_t) <= sizeof(unsigned long[16]), "sigset_t does not fit");

namespace {
sigset_t* as_set(unsigned long* storage) {
  return reinterpret_cast<sigset_t*>(storage);
}
}  // namespace

ShutdownSignals::ShutdownSignals() : ShutdownSignals({SIGINT, SIGTERM}) {}

ShutdownSignals::ShutdownSignals(std::initializer_list<int> signals) {
  sigemptyset(as_set(set_));
  for (int signal : signals) sigaddset(as_set(set_), signal);
  if (int error = pthread_sigmask(SIG_BLOCK, as_set(set_), as_set(saved_))) {
    throw std::system_error(error, std::generic_category(), "pthread_sigmask");
  }
}

ShutdownSignals::~ShutdownSignals() {
  pthread_sigmask(SIG_SETMASK, as_set(saved_), nullptr);
}

int ShutdownSignals::wait() {
  int signal = 0;
  while (sigwait(as_set(set_), &signal) != 0) {
  }
  return signal;
}

}  // namespace socketchat
