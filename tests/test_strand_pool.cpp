// StrandPool: the strands an io_context's connections share (transport/strand_pool.hpp).

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

#include <asio/dispatch.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "transport/strand_pool.hpp"

using namespace socketchat::detail;

TEST_CASE("StrandPool: at most `size` strands per io_context, handed out in turn") {
  asio::io_context context;
  std::vector<PooledStrand> given;
  for (std::size_t i = 0; i < 2 * StrandPool::size + 1; ++i) {
    given.push_back(StrandPool::next_on(context));
  }
  for (std::size_t i = 0; i < StrandPool::size; ++i) {
    for (std::size_t j = 0; j < i; ++j) CHECK(given[i] != given[j]);  // each its own at first
  }
  for (std::size_t i = StrandPool::size; i < given.size(); ++i) {
    CHECK(given[i] == given[i % StrandPool::size]);  // then the same ones again, in turn
  }
  asio::io_context other;
  CHECK(StrandPool::next_on(other) != given.front());  // a pool per context
}

TEST_CASE("StrandPool: connections sharing a strand never run at once, on several threads") {
  // What a host's io_context, run by several threads, relies on: two connections given
  // the same strand are serialized like one.
  asio::io_context context;
  std::vector<PooledStrand> first_round;
  for (std::size_t i = 0; i < StrandPool::size; ++i)
    first_round.push_back(StrandPool::next_on(context));
  PooledStrand one = StrandPool::next_on(context);  // shares first_round[0]
  REQUIRE(one == first_round.front());
  std::atomic<int> inside{0};
  std::atomic<bool> overlapped{false};
  std::atomic<int> ran{0};
  constexpr int tasks = 4000;
  auto task = [&] {
    if (inside.fetch_add(1) != 0) overlapped = true;
    std::this_thread::yield();  // room for another thread to come in, were it let
    inside.fetch_sub(1);
    ran.fetch_add(1);
  };
  for (int i = 0; i < tasks; ++i) asio::post(i % 2 ? one : first_round.front(), task);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { context.run(); });
  for (auto& thread : threads) thread.join();
  CHECK(ran == tasks);
  CHECK_FALSE(overlapped);
}

TEST_CASE("PooledStrand: one pointer; posted work never runs inline, dispatched work does") {
  static_assert(sizeof(PooledStrand) == sizeof(void*));
  asio::io_context context;
  PooledStrand strand = StrandPool::next_on(context);
  std::vector<int> order;
  asio::post(strand, [&] {
    asio::post(strand, [&] { order.push_back(3); });      // after this handler, not inside it
    asio::dispatch(strand, [&] { order.push_back(1); });  // already on the strand: now
    order.push_back(2);
  });
  context.run();
  CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("PooledStrand: a context going with work still queued on its strands") {
  // The pool's strands go before Asio's strand service does, which they unlink from
  // (AddressSanitizer sees it if not); the queued work is dropped, never run.
  bool ran = false;
  {
    asio::io_context context;
    PooledStrand strand = StrandPool::next_on(context);
    asio::post(strand, [&] { ran = true; });
    asio::steady_timer timer(strand, std::chrono::hours(1));
    timer.async_wait([&](std::error_code) { ran = true; });
  }
  CHECK_FALSE(ran);
}
