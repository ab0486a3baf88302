#include "util/background_thread.hpp"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

namespace socketchat::detail {

void run_as_background_thread() noexcept {
#if defined(__linux__)
  const sched_param none{};  // SCHED_BATCH takes priority 0
  (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &none);
#endif
}

}  // namespace socketchat::detail
