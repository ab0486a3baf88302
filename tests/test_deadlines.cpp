// Deadlines: the one timer of an io_context's connections (session/deadlines.hpp).

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <random>
#include <thread>
#include <vector>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "session/deadlines.hpp"

using namespace socketchat::detail;
using namespace std::chrono_literals;
using Clock = Deadlines::Clock;

namespace {

// Notes when its deadline passed, in the order of all of them.
class Noted final : public Timed {
 public:
  explicit Noted(std::vector<const Noted*>& order) : order_(order) {}
  void deadline_passed() override {
    ++passed;
    at_call = Clock::now();
    order_.push_back(this);
  }

  int passed = 0;
  Clock::time_point due{};
  Clock::time_point at_call{};

 private:
  std::vector<const Noted*>& order_;
};

}  // namespace

TEST_CASE("Deadlines: each passes once, in the order of its time, never before it") {
  asio::io_context io;
  auto& deadlines = asio::use_service<Deadlines>(io);
  std::vector<const Noted*> order;
  std::vector<std::unique_ptr<Noted>> timed;
  std::mt19937 random(7);
  auto start = Clock::now();
  for (int i = 0; i < 2000; ++i) {
    timed.push_back(std::make_unique<Noted>(order));
    timed.back()->due = start + std::chrono::microseconds(random() % 30'000);
    deadlines.schedule(*timed.back(), timed.back()->due);
  }
  CHECK(deadlines.scheduled() == 2000);
  io.run();  // returns when the last has passed: nothing else waits
  REQUIRE(order.size() == 2000);
  CHECK(deadlines.scheduled() == 0);
  for (const auto& t : timed) {
    CHECK(t->passed == 1);
    CHECK(t->at_call >= t->due);
  }
  CHECK(std::is_sorted(order.begin(), order.end(),
                       [](const Noted* a, const Noted* b) { return a->due < b->due; }));
}

TEST_CASE(
    "Deadlines: scheduling again replaces the deadline, earlier or later; cancel forgets it") {
  asio::io_context io;
  auto& deadlines = asio::use_service<Deadlines>(io);
  std::vector<const Noted*> order;
  Noted moved_earlier(order), moved_later(order), cancelled(order), steady(order);
  auto start = Clock::now();

  deadlines.schedule(moved_earlier, start + 10s);
  deadlines.schedule(steady, start + 20ms);
  deadlines.schedule(moved_later, start + 1ms);
  deadlines.schedule(cancelled, start + 2ms);
  moved_earlier.due = start + 5ms;
  deadlines.schedule(moved_earlier, moved_earlier.due);
  moved_later.due = start + 40ms;
  deadlines.schedule(moved_later, moved_later.due);
  deadlines.cancel(cancelled);
  deadlines.cancel(cancelled);  // twice: nothing to forget the second time
  CHECK(deadlines.scheduled() == 3);

  io.run();
  REQUIRE(order.size() == 3);
  CHECK(order[0] == &moved_earlier);
  CHECK(order[1] == &steady);
  CHECK(order[2] == &moved_later);
  CHECK(moved_earlier.at_call < start + 10s);
  CHECK(moved_later.at_call >= moved_later.due);
  CHECK(cancelled.passed == 0);
}

TEST_CASE("Deadlines: one scheduled from within deadline_passed waits for its own time") {
  asio::io_context io;
  auto& deadlines = asio::use_service<Deadlines>(io);
  // A session sets its next deadline when told of the last one (on its strand, so
  // outside the lock: posted here as a session's handler would be).
  struct Again final : Timed {
    Again(asio::io_context& io, Deadlines& deadlines) : io_(io), deadlines_(deadlines) {}
    void deadline_passed() override {
      times.push_back(Clock::now());
      if (times.size() < 3)
        asio::post(io_, [this] { deadlines_.schedule(*this, Clock::now() + 5ms); });
    }
    std::vector<Clock::time_point> times;
    asio::io_context& io_;
    Deadlines& deadlines_;
  } again(io, deadlines);
  auto start = Clock::now();
  deadlines.schedule(again, start);
  io.run();
  REQUIRE(again.times.size() == 3);
  CHECK(again.times[1] - again.times[0] >= 5ms);
  CHECK(again.times[2] - again.times[1] >= 5ms);
}

TEST_CASE("Deadlines: after a burst, the heap gives back what the burst made it allocate") {
  asio::io_context io;
  auto& deadlines = asio::use_service<Deadlines>(io);
  std::vector<const Noted*> order;
  std::vector<std::unique_ptr<Noted>> timed;
  for (int i = 0; i < 20'000; ++i) {
    timed.push_back(std::make_unique<Noted>(order));
    deadlines.schedule(*timed.back(), Clock::now() + 1h);
  }
  CHECK(deadlines.capacity() >= 20'000);
  for (auto& t : timed) deadlines.cancel(*t);  // 20,000 connections closed at once
  CHECK(deadlines.scheduled() == 0);
  CHECK(deadlines.capacity() <= Deadlines::shrink_above);
  io.run();  // returns at once: with nothing scheduled, the timer does not wait
  CHECK(order.empty());
}

TEST_CASE("Deadlines: scheduled and cancelled from other threads while they pass") {
  asio::io_context io;
  auto& deadlines = asio::use_service<Deadlines>(io);
  std::vector<const Noted*> order;  // written on io's thread only
  std::vector<std::unique_ptr<Noted>> kept, dropped;
  for (int i = 0; i < 500; ++i) {
    kept.push_back(std::make_unique<Noted>(order));
    dropped.push_back(std::make_unique<Noted>(order));
  }
  auto start = Clock::now();
  auto work = asio::make_work_guard(io);  // until the other thread is done
  std::thread runner([&] { io.run(); });
  std::thread other([&] {
    for (std::size_t i = 0; i < kept.size(); ++i) {
      deadlines.schedule(*kept[i], start + std::chrono::microseconds(i * 20));
      deadlines.schedule(*dropped[i], Clock::now() + 50ms);
      deadlines.cancel(*dropped[i]);
    }
  });
  other.join();
  work.reset();
  runner.join();  // ends once every deadline left has passed: the timer's wait is work
  CHECK(order.size() == kept.size());
  for (const auto& t : kept) CHECK(t->passed == 1);
  for (const auto& t : dropped) CHECK(t->passed == 0);
}
