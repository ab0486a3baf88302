#include "transport/strand_pool.hpp"

#include <asio/strand.hpp>

namespace socketchat::detail {

StrandPool::StrandPool(asio::execution_context& context)
    : asio::execution_context::service(context), context_(static_cast<asio::io_context&>(context)) {
  (void)asio::make_strand(context_);  // Asio's strand service, made before this one
  strands_.reserve(size);
}

PooledStrand StrandPool::next() {
  std::lock_guard lock(mutex_);
  if (strands_.size() < size) {
    return PooledStrand(strands_.emplace_back(asio::make_strand(context_)));
  }
  PooledStrand strand(strands_[next_]);
  next_ = (next_ + 1) % size;
  return strand;
}

}  // namespace socketchat::detail
