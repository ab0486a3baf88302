// socketchatd's MemoryTrimmer: what a burst leaves free goes back to the system soon,
// not at the next period.

#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "memory_trimmer.hpp"

namespace {

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("MemoryTrimmer: a burst's leavings go back within seconds, not at the next period") {
  socketchatd::MemoryTrimmer trimmer{std::chrono::hours{1}};  // no periodic trim in time
  constexpr std::size_t block = 4000;  // under the allocator's mmap threshold: in its heap
  constexpr std::size_t burst = 48 * 1024 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks(burst / block);
  for (auto& made : blocks) {
    made = std::make_unique<char[]>(block);
    std::memset(made.get(), 1, block);  // resident
  }
  const std::size_t full = resident_bytes();
  // Freed but the last, which holds the heap's top: what was freed stays inside the
  // heap, where only a trim gives its pages back.
  for (std::size_t i = 0; i + 1 < blocks.size(); ++i) blocks[i].reset();
  CAPTURE(full);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizer's allocator, not glibc's, has the blocks: nothing for a trim to give
  // back. What this build checks is that the trimmer's thread starts and stops cleanly.
#else
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::size_t now = resident_bytes();
  while (now + burst / 2 > full && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the RSS, bounded
    now = resident_bytes();
  }
  CAPTURE(now);
  CHECK(now + burst / 2 <= full);
#endif
}

TEST_CASE("MemoryTrimmer: while nothing grows, no trim before the period") {
  // A heap in many pieces makes a trim hold the allocator's locks for milliseconds: it
  // must not come back every look. Freed memory inside the heap stays resident until
  // the period (an hour here) when nothing grew since the trimmer started.
  constexpr std::size_t block = 4000;
  constexpr std::size_t burst = 48 * 1024 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks(burst / block);
  for (auto& made : blocks) {
    made = std::make_unique<char[]>(block);
    std::memset(made.get(), 1, block);
  }
  for (std::size_t i = 0; i + 1 < blocks.size(); ++i) blocks[i].reset();
  const std::size_t before = resident_bytes();
  {
    socketchatd::MemoryTrimmer trimmer{std::chrono::hours{1}};
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // six looks, a settle time
  }
  CAPTURE(before);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  CHECK(resident_bytes() + burst / 2 > before);  // not trimmed
#endif
}

TEST_CASE("MemoryTrimmer: a burst that ends gives its memory back, though it grew little") {
  // The end of a burst of logins: the handshakes in flight free what they held at once,
  // and nothing grows any more. Less than `grown_past` here, so only the process going
  // quiet after its work can set off the trim.
  socketchatd::MemoryTrimmer trimmer{std::chrono::hours{1}};
  constexpr std::size_t block = 4000;
  constexpr std::size_t burst = 12 * 1024 * 1024;
  static_assert(burst < socketchatd::MemoryTrimmer::grown_past);
  std::vector<std::unique_ptr<char[]>> blocks(burst / block);
  const auto work_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  std::size_t made = 0;
  volatile unsigned spin = 0;
  while (std::chrono::steady_clock::now() < work_until) {  // busy for a few looks
    if (made < blocks.size()) {
      blocks[made] = std::make_unique<char[]>(block);
      std::memset(blocks[made++].get(), 1, block);
    }
    spin = spin + 1;
  }
  REQUIRE(made == blocks.size());
  for (std::size_t i = 0; i + 1 < blocks.size(); ++i) blocks[i].reset();
  const std::size_t full = resident_bytes();
  CAPTURE(full);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::size_t now = resident_bytes();
  while (now + burst / 2 > full && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // quiet, polling the RSS
    now = resident_bytes();
  }
  CAPTURE(now);
  CHECK(now + burst / 2 <= full);
#endif
}
