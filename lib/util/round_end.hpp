#pragma once

#include <functional>

namespace asio {
class io_context;
}

namespace socketchat::detail {

// The end of an event-loop round: when an I/O thread has run the handlers that were
// ready (the reads of one epoll_wait), a natural boundary for a batch. Work gathered
// during a round is handed on once at its end, not item by item, so another thread
// wakes once per round instead of once per item.

// Called by each of the server's own I/O threads before it runs `context`.
void bind_round_end(asio::io_context& context) noexcept;

// On a bound I/O thread: posts `task` to its io_context, behind every handler ready
// now, and returns true. On any other thread (a host's own, a store's) returns false
// and leaves `task` to the caller, to be done at once.
bool at_round_end(std::function<void()>& task);

}  // namespace socketchat::detail
