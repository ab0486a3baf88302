#pragma once

#include <utility>

#include <asio/execution.hpp>
#include <asio/io_context.hpp>
#include <asio/strand.hpp>

namespace socketchat::detail {

using Strand = asio::strand<asio::io_context::executor_type>;

// The executor of a built-in connection's socket: one of its io_context's StrandPool
// strands, held by address. An Asio strand is a shared_ptr and its io_context's executor,
// 24 bytes, copied into the socket and into each operation it has pending (the
// wait for input an idle connection always has); this is 8, and copying it touches no
// reference count. The pool keeps the strand for as long as its io_context lives, which
// every socket and operation on it must not outlive anyway.
//
// It runs work as the strand does (execute); asked never to block (asio::post), it gives
// the strand itself, which can. Asio takes it wherever an executor goes (sockets,
// timers, any_io_executor).
class PooledStrand {
 public:
  explicit PooledStrand(const Strand& strand) noexcept : strand_(&strand) {}

  const Strand& strand() const noexcept { return *strand_; }

  asio::io_context& query(asio::execution::context_t) const noexcept {
    return asio::query(*strand_, asio::execution::context);
  }
  static constexpr asio::execution::blocking_t query(asio::execution::blocking_t) noexcept {
    return asio::execution::blocking.possibly;
  }
  PooledStrand require(asio::execution::blocking_t::possibly_t) const noexcept { return *this; }
  Strand require(asio::execution::blocking_t::never_t) const {
    return asio::require(*strand_, asio::execution::blocking.never);
  }

  template <class Function>
  void execute(Function&& function) const {
    strand_->execute(std::forward<Function>(function));
  }

  friend bool operator==(const PooledStrand& a, const PooledStrand& b) noexcept {
    return a.strand_ == b.strand_;
  }
  friend bool operator!=(const PooledStrand& a, const PooledStrand& b) noexcept {
    return a.strand_ != b.strand_;
  }

 private:
  const Strand* strand_;
};

}  // namespace socketchat::detail
