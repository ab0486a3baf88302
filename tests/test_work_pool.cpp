// WorkPool: jobs run off the caller's thread, the queue's bound, stop, failing jobs.
// Threads are held with latches and promises, never with sleeps.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#if defined(__linux__)
#include <sys/resource.h>
#include <unistd.h>
#endif

#include "accounts/work_pool.hpp"

using socketchat::detail::WorkPool;

namespace {

// A job that says when it has started and then waits for the gate to open: it holds one
// of the pool's threads for as long as the test wants.
struct Blocker {
  std::promise<void> started;
  std::promise<void> gate;
  std::shared_future<void> gate_open = gate.get_future().share();

  void hold(WorkPool& pool) {
    auto started_future = started.get_future();
    REQUIRE(pool.post([this] {
      started.set_value();
      gate_open.wait();
    }));
    started_future.wait();
  }
  void open() { gate.set_value(); }
};

// Counts down `destroyed` when the last copy of the job holding it goes.
struct DropWitness {
  std::latch* destroyed;
  explicit DropWitness(std::latch& latch) : destroyed(&latch) {}
  DropWitness(const DropWitness&) = delete;
  ~DropWitness() { destroyed->count_down(); }
};

#if defined(__linux__)
// How many of this process's threads carry `name` (a thread that has ended may linger
// there for a moment, so only counts that must grow are checked).
std::size_t threads_named(const std::string& name) {
  std::size_t count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) ++count;
  }
  return count;
}
#endif

}  // namespace

TEST_CASE("jobs run on the pool's threads") {
  WorkPool pool("test-pool", 2, 100);
  std::atomic<int> ran{0};
  std::latch done(50);
  const auto caller = std::this_thread::get_id();
  std::atomic<bool> on_caller{false};
  for (int i = 0; i < 50; ++i) {
    REQUIRE(pool.post([&] {
      if (std::this_thread::get_id() == caller) on_caller = true;
      ++ran;
      done.count_down();
    }));
  }
  done.wait();
  CHECK(ran == 50);
  CHECK_FALSE(on_caller);
}

#if defined(__linux__)
TEST_CASE("the threads start on the first post") {
  WorkPool pool("test-lazy", 3, 10);
  CHECK(threads_named("test-lazy") == 0);
  std::promise<void> ran;
  auto ran_future = ran.get_future();
  REQUIRE(pool.post([&] { ran.set_value(); }));
  ran_future.wait();
  CHECK(threads_named("test-lazy") == 3);
}

TEST_CASE("a niceness lowers the pool's threads' priority, and only theirs") {
  errno = 0;
  const int ours = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  REQUIRE(errno == 0);
  for (int niceness : {0, 5}) {
    CAPTURE(niceness);
    WorkPool pool("test-nice", 1, 10, niceness);
    std::promise<int> seen;
    auto seen_future = seen.get_future();
    REQUIRE(
        pool.post([&] { seen.set_value(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()))); }));
    CHECK(seen_future.get() == std::min(ours + niceness, 19));
  }
  CHECK(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())) == ours);
}
#endif

TEST_CASE("the queue's bound refuses the job past it while the threads are busy") {
  WorkPool pool("test-bound", 1, 3);
  Blocker blocker;
  blocker.hold(pool);  // the only thread is busy: what follows waits
  std::atomic<int> ran{0};
  std::latch done(3);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(pool.post([&] {
      ++ran;
      done.count_down();
    }));
  }
  CHECK(pool.queued() == 3);
  bool refused_ran = false;
  CHECK_FALSE(pool.post([&] { refused_ran = true; }));
  CHECK(pool.queued() == 3);

  blocker.open();
  done.wait();
  CHECK(ran == 3);
  CHECK_FALSE(refused_ran);

  // Room again once the queue has drained.
  std::promise<void> again;
  auto again_future = again.get_future();
  CHECK(pool.post([&] { again.set_value(); }));
  again_future.wait();
  pool.stop();
  CHECK_FALSE(refused_ran);  // the refused job was dropped, not kept for later
}

TEST_CASE("stop drops the waiting jobs and waits for the running one") {
  WorkPool pool("test-stop", 1, 10);
  Blocker blocker;
  blocker.hold(pool);
  std::latch dropped(3);
  std::atomic<int> ran{0};
  for (int i = 0; i < 3; ++i) {
    auto witness = std::make_shared<DropWitness>(dropped);
    REQUIRE(pool.post([witness, &ran] { ++ran; }));
  }
  CHECK(pool.queued() == 3);

  auto stopped = std::async(std::launch::async, [&] { pool.stop(); });
  dropped.wait();  // stop has let go of the waiting jobs while the running one holds on
  CHECK(stopped.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
  blocker.open();
  stopped.get();
  CHECK(ran == 0);
  CHECK(pool.queued() == 0);
  CHECK_FALSE(pool.post([&] { ++ran; }));
  pool.stop();  // again: nothing to do
  CHECK(ran == 0);
}

TEST_CASE("a job that throws leaves the pool working") {
  WorkPool pool("test-throw", 1, 10);
  REQUIRE(pool.post([] { throw std::runtime_error("job failed"); }));
  REQUIRE(pool.post([] { throw 42; }));
  std::promise<void> ran;
  auto ran_future = ran.get_future();
  REQUIRE(pool.post([&] { ran.set_value(); }));
  ran_future.wait();  // the same single thread got past both throwing jobs
}

TEST_CASE("the destructor stops the pool with jobs waiting") {
  std::latch dropped(5);
  std::atomic<int> ran{0};
  Blocker blocker;
  std::thread opener;
  {
    WorkPool pool("test-dtor", 1, 10);
    blocker.hold(pool);
    for (int i = 0; i < 5; ++i) {
      auto witness = std::make_shared<DropWitness>(dropped);
      REQUIRE(pool.post([witness, &ran] { ++ran; }));
    }
    // Opens the gate once the destructor has dropped the waiting jobs, so that it can
    // join the thread that runs the blocker.
    opener = std::thread([&] {
      dropped.wait();
      blocker.open();
    });
  }
  opener.join();
  CHECK(ran == 0);
}

TEST_CASE("a pool without threads or without room is refused") {
  CHECK_THROWS_AS(WorkPool("none", 0, 10), std::invalid_argument);
  CHECK_THROWS_AS(WorkPool("none", 1, 0), std::invalid_argument);
}
