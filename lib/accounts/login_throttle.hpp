#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace socketchat::detail {

// Failed logins counted per address and per account name, so that guessing passwords
// is slow from one address and slow against one account from many. Each count lives
// for a fixed window from its first failure. Memory is bounded: each map holds at most
// `max_tracked` entries, and a full one lets go of the expired entries first, then of
// the oldest. Thread-safe.
class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  // A max of 0 means no limit (and nothing tracked) for that kind. Throws
  // std::invalid_argument for a window that is not positive or a max_tracked of 0.
  LoginThrottle(std::size_t max_failures_per_address, std::size_t max_failures_per_account,
                std::chrono::seconds window, std::size_t max_tracked);

  // False when `address` or `account` (without regard to ASCII case) has failed its max
  // within the window.
  bool allowed(std::string_view address, std::string_view account, Clock::time_point now) const;
  void failed(std::string_view address, std::string_view account, Clock::time_point now);
  // Clears the account's count; the address's stays (one success among many guesses
  // from there should not wipe them).
  void succeeded(std::string_view address, std::string_view account);

  // How many addresses and accounts are tracked (expired ones included until evicted).
  std::size_t tracked_addresses() const;
  std::size_t tracked_accounts() const;

 private:
  // One kind of key's counts, oldest window first in `order_`.
  class Counts {
   public:
    Counts(std::size_t max_failures, std::chrono::seconds window, std::size_t max_tracked);
    bool blocked(const std::string& key, Clock::time_point now) const;
    void fail(const std::string& key, Clock::time_point now);
    void clear(const std::string& key);
    std::size_t size() const { return entries_.size(); }

   private:
    struct Entry {
      std::size_t failures = 0;
      Clock::time_point since;
      std::list<std::string>::iterator order;
    };
    bool expired(const Entry& entry, Clock::time_point now) const;
    void make_room(Clock::time_point now);

    std::size_t max_failures_;
    std::chrono::seconds window_;
    std::size_t max_tracked_;
    std::unordered_map<std::string, Entry> entries_;
    std::list<std::string> order_;
  };

  mutable std::mutex mutex_;
  Counts addresses_;
  Counts accounts_;
};

}  // namespace socketchat::detail
