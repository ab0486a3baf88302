#pragma once

#include <atomic>
#include <cstddef>
#include <utility>
#include <vector>

namespace asio {
class io_context;
}

namespace socketchat::detail {

// The io_contexts connections run on: set once by the server before it starts, read
// from any thread after.
class Workers {
 public:
  void set(std::vector<asio::io_context*> contexts) { contexts_ = std::move(contexts); }
  bool empty() const noexcept { return contexts_.empty(); }

  // Each in turn: where the next connection (or task) runs.
  asio::io_context& next() noexcept;
  // The first: where the listeners and the server's own timers run.
  asio::io_context& front() const noexcept { return *contexts_.front(); }

 private:
  std::vector<asio::io_context*> contexts_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace socketchat::detail
