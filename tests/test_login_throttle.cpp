// LoginThrottle: limits per address and per account, the window, and its memory bound.
// Time is passed in, never slept through.
#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "accounts/login_throttle.hpp"

using socketchat::detail::LoginThrottle;
using namespace std::chrono_literals;

namespace {

const LoginThrottle::Clock::time_point t0{std::chrono::hours(1000)};

}  // namespace

TEST_CASE("an address is refused after its max failures") {
  LoginThrottle throttle(3, 0, 60s, 100);
  for (int i = 0; i < 3; ++i) {
    CHECK(throttle.allowed("10.0.0.1", "alice", t0));
    throttle.failed("10.0.0.1", "name" + std::to_string(i), t0 + std::chrono::seconds(i));
  }
  CHECK_FALSE(throttle.allowed("10.0.0.1", "alice", t0 + 3s));
  CHECK_FALSE(throttle.allowed("10.0.0.1", "someone-else", t0 + 3s));
  CHECK(throttle.allowed("10.0.0.2", "alice", t0 + 3s));  // another address is not
  CHECK(throttle.tracked_accounts() == 0);                // 0 = unlimited: nothing tracked
}

TEST_CASE("an account is refused after its max failures, from however many addresses") {
  LoginThrottle throttle(0, 5, 60s, 100);
  for (int i = 0; i < 5; ++i) {
    const auto address = "10.0.1." + std::to_string(i);
    CHECK(throttle.allowed(address, "Alice", t0));
    throttle.failed(address, i % 2 ? "ALICE" : "alice", t0);
  }
  CHECK_FALSE(throttle.allowed("10.0.1.200", "alice", t0));
  CHECK_FALSE(throttle.allowed("10.0.1.201", "aLiCe", t0));
  CHECK(throttle.allowed("10.0.1.200", "bob", t0));
  CHECK(throttle.tracked_addresses() == 0);
}

TEST_CASE("counts expire with their window") {
  LoginThrottle throttle(2, 2, 60s, 100);
  throttle.failed("10.0.0.1", "alice", t0);
  throttle.failed("10.0.0.1", "alice", t0 + 10s);
  CHECK_FALSE(throttle.allowed("10.0.0.1", "alice", t0 + 59s));
  CHECK_FALSE(throttle.allowed("10.0.0.9", "alice", t0 + 59s));
  CHECK_FALSE(throttle.allowed("10.0.0.1", "bob", t0 + 59s));
  // The window runs from the first failure.
  CHECK(throttle.allowed("10.0.0.1", "alice", t0 + 60s));
  // A failure after it starts a new count.
  throttle.failed("10.0.0.1", "alice", t0 + 61s);
  CHECK(throttle.allowed("10.0.0.1", "alice", t0 + 62s));
  throttle.failed("10.0.0.1", "alice", t0 + 62s);
  CHECK_FALSE(throttle.allowed("10.0.0.1", "alice", t0 + 62s));
  CHECK(throttle.allowed("10.0.0.1", "alice", t0 + 121s));
}

TEST_CASE("a success clears the account's count, not the address's") {
  LoginThrottle throttle(3, 3, 60s, 100);
  for (int i = 0; i < 3; ++i) throttle.failed("10.0.0.1", "alice", t0);
  CHECK_FALSE(throttle.allowed("10.0.0.2", "alice", t0));
  throttle.succeeded("10.0.0.2", "ALICE");
  CHECK(throttle.allowed("10.0.0.2", "alice", t0));
  CHECK_FALSE(throttle.allowed("10.0.0.1", "bob", t0));  // the guessing address stays refused
  CHECK(throttle.tracked_accounts() == 0);
  throttle.succeeded("10.0.0.2", "nobody");  // nothing to clear: no harm
}

TEST_CASE("memory stays bounded with 100000 distinct addresses") {
  constexpr std::size_t max_tracked = 1000;
  LoginThrottle throttle(3, 3, 60s, max_tracked);
  for (int i = 0; i < 100'000; ++i) {
    // All within one window: nothing has expired, so the oldest go.
    const auto address = "2001:db8::" + std::to_string(i);
    throttle.failed(address, "user" + std::to_string(i), t0 + std::chrono::milliseconds(i / 10));
    REQUIRE(throttle.tracked_addresses() <= max_tracked);
    REQUIRE(throttle.tracked_accounts() <= max_tracked);
  }
  CHECK(throttle.tracked_addresses() == max_tracked);
  // The newest are still counted.
  for (int i = 0; i < 2; ++i) throttle.failed("2001:db8::99999", "x", t0 + 10s);
  CHECK_FALSE(throttle.allowed("2001:db8::99999", "y", t0 + 10s));
}

TEST_CASE("a full throttle lets go of the expired entries before the live ones") {
  LoginThrottle throttle(2, 0, 60s, 3);
  throttle.failed("old-1", "a", t0);
  throttle.failed("old-2", "a", t0);
  throttle.failed("live", "a", t0 + 50s);
  throttle.failed("live", "a", t0 + 50s);
  CHECK_FALSE(throttle.allowed("live", "a", t0 + 70s));
  // Full; at t0+70s the two old entries have expired and go, the live one stays.
  throttle.failed("new-1", "a", t0 + 70s);
  CHECK(throttle.tracked_addresses() == 2);
  CHECK_FALSE(throttle.allowed("live", "a", t0 + 70s));
  throttle.failed("new-2", "a", t0 + 71s);
  CHECK(throttle.tracked_addresses() == 3);
  // Full with nothing expired: the oldest (live, from t0+50s) goes.
  throttle.failed("new-3", "a", t0 + 72s);
  CHECK(throttle.tracked_addresses() == 3);
  CHECK(throttle.allowed("live", "a", t0 + 72s));
}

TEST_CASE("settings that make no sense are refused") {
  CHECK_THROWS_AS(LoginThrottle(1, 1, 0s, 10), std::invalid_argument);
  CHECK_THROWS_AS(LoginThrottle(1, 1, 10s, 0), std::invalid_argument);
}
