#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include <asio/execution_context.hpp>
#include <asio/io_context.hpp>

#include "transport/pooled_strand.hpp"

namespace socketchat::detail {

// The strands one io_context's connections run on: a fixed set, handed out in turn,
// so that connections share them.
//
// Why: a connection's handlers must never run at once, which a strand guarantees on a
// host's io_context run by several threads. But Asio allocates each strand's state
// (about 110 bytes with its shared_ptr's count) for the strand's life: a tenth of an
// idle connection. Connections sharing a strand are serialized together, which costs
// nothing on a context one thread runs (the server's own), and at most `size`-fold
// less parallelism on a host's. One strand per context was tried and measured slower
// (docs/PERFORMANCE.md): every handler of the context then queued behind that one
// strand's; 64 of them keep each strand's share of the work small.
//
// One per io_context (an Asio service), like WriteTurns and Deadlines. It keeps its
// strands for the context's whole life, so that a PooledStrand may hold one by address:
// it makes Asio's strand service before it is made itself, and so is destroyed before
// that service (Asio destroys its services newest first), while a strand going can
// still unlink itself from the service.
class StrandPool final : public asio::execution_context::service {
 public:
  using key_type = StrandPool;
  static inline asio::execution_context::id id;
  static constexpr std::size_t size = 64;

  explicit StrandPool(asio::execution_context& context);

  // The strand for the next connection made on this context.
  PooledStrand next();

  // The strand for the next connection made on `context`.
  static PooledStrand next_on(asio::io_context& context) {
    return asio::use_service<StrandPool>(context).next();
  }

 private:
  void shutdown() override {}

  asio::io_context& context_;
  std::mutex mutex_;
  // Made as they are first needed, up to `size`, in place: room for all is reserved
  // first, so that none moves.
  std::vector<Strand> strands_;
  std::size_t next_ = 0;
};

}  // namespace socketchat::detail
