#include "transport/strand_pool.hpp"

#include <asio/strand.hpp>

namespace socketchat::detail {

StrandPool::StrandPool(asio::execution_context& context)
    : asio::execution_context::service(context),
      context_(static_cast<asio::io_context&>(context)) {}

Executor StrandPool::next() {
  std::lock_guard lock(mutex_);
  if (shut_down_) return asio::make_strand(context_);
  if (strands_.size() < size) return strands_.emplace_back(asio::make_strand(context_));
  Executor strand = strands_[next_];
  next_ = (next_ + 1) % size;
  return strand;
}

void StrandPool::shutdown() {
  std::vector<Executor> strands;
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    strands.swap(strands_);
  }
}

}  // namespace socketchat::detail
