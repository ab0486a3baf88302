// ThreadScratch: objects a thread lends for the span of a write (util/thread_scratch.hpp).

#include <doctest/doctest.h>

#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "util/thread_scratch.hpp"

using namespace socketchat::detail;

namespace {

struct Scratch {
  static inline int alive = 0;
  Scratch() { ++alive; }
  ~Scratch() { --alive; }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  void clear() noexcept { text.clear(); }
  std::string text;
};

}  // namespace

TEST_CASE("ThreadScratch: one given back is lent again, emptied, without a new one") {
  const Scratch* first = nullptr;
  {
    auto lease = ThreadScratch<Scratch>::borrow();
    lease->text = "a write's frames";
    first = lease.get();
  }
  const int alive = Scratch::alive;
  auto again = ThreadScratch<Scratch>::borrow();
  CHECK(again.get() == first);
  CHECK(again->text.empty());
  CHECK(Scratch::alive == alive);
}

TEST_CASE("ThreadScratch: writes at once each get their own; the thread keeps `kept` spares") {
  const std::size_t many = ThreadScratch<Scratch>::kept + 8;
  std::thread([many] {  // a thread of its own: no spares from the other tests
    const int before = Scratch::alive;
    std::vector<ThreadScratch<Scratch>::Lease> leases;
    for (std::size_t i = 0; i < many; ++i) leases.push_back(ThreadScratch<Scratch>::borrow());
    for (std::size_t i = 0; i < many; ++i) {
      for (std::size_t j = 0; j < i; ++j) CHECK(leases[i].get() != leases[j].get());
    }
    CHECK(Scratch::alive == before + static_cast<int>(many));
    leases.clear();  // all given back: the spares beyond `kept` are freed
    CHECK(Scratch::alive == before + static_cast<int>(ThreadScratch<Scratch>::kept));
  })
      .join();
}

TEST_CASE("ThreadScratch: a thread's spares go with it") {
  const int before = Scratch::alive;
  std::thread([] { ThreadScratch<Scratch>::borrow()->text = "x"; }).join();
  CHECK(Scratch::alive == before);
}

TEST_CASE("ThreadScratch: one given back on another thread joins that thread's spares") {
  auto lease = ThreadScratch<Scratch>::borrow();
  const Scratch* lent = lease.get();
  std::thread([&lease, lent] {
    lease.reset();
    auto again = ThreadScratch<Scratch>::borrow();
    CHECK(again.get() == lent);
  }).join();
}
