#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include <asio/execution_context.hpp>
#include <asio/io_context.hpp>

#include "transport/asio_types.hpp"

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
// One per io_context (an Asio service), like WriteTurns and Deadlines.
class StrandPool final : public asio::execution_context::service {
 public:
  using key_type = StrandPool;
  static inline asio::execution_context::id id;
  static constexpr std::size_t size = 64;

  explicit StrandPool(asio::execution_context& context);

  // The strand for the next connection made on this context.
  Executor next();

  // The strand for the next connection made on `context`.
  static Executor next_on(asio::io_context& context) {
    return asio::use_service<StrandPool>(context).next();
  }

 private:
  // Lets the strands go while Asio's strand service still exists: it was made after
  // this one (by the first strand), so it is destroyed before, and a strand that
  // outlived it would unlink itself from freed memory.
  void shutdown() override;

  asio::io_context& context_;
  std::mutex mutex_;
  std::vector<Executor> strands_;  // made as they are first needed, up to `size`
  std::size_t next_ = 0;
  bool shut_down_ = false;  // then each strand is the caller's own
};

}  // namespace socketchat::detail
