#pragma once

namespace socketchat::detail {

// Marks the calling thread as one whose work may wait a little: the history writer, the
// checkpointer, the log's writer. On Linux it becomes SCHED_BATCH: it gets as much of the
// CPU as before, but its waking up no longer preempts an I/O thread that is running, so
// on a core they share the I/O thread finishes its round (a whole batch of input and
// output) first. Needs no privilege; elsewhere, or if refused, nothing changes.
void run_as_background_thread() noexcept;

}  // namespace socketchat::detail
