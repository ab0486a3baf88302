#include "server/workers.hpp"

namespace socketchat::detail {

asio::io_context& Workers::next() noexcept {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

}  // namespace socketchat::detail
