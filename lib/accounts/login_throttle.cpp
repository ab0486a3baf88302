// Failed logins per address and per account, in bounded memory (login_throttle.hpp).
#include "accounts/login_throttle.hpp"

#include <iterator>
#include <stdexcept>
#include <string>

#include "util/text.hpp"

namespace socketchat::detail {

LoginThrottle::Counts::Counts(std::size_t max_failures, std::chrono::seconds window,
                              std::size_t max_tracked)
    : max_failures_(max_failures), window_(window), max_tracked_(max_tracked) {}

bool LoginThrottle::Counts::expired(const Entry& entry, Clock::time_point now) const {
  return now - entry.since >= window_;
}

bool LoginThrottle::Counts::blocked(const std::string& key, Clock::time_point now) const {
  if (max_failures_ == 0) return false;
  const auto it = entries_.find(key);
  return it != entries_.end() && !expired(it->second, now) && it->second.failures >= max_failures_;
}

void LoginThrottle::Counts::fail(const std::string& key, Clock::time_point now) {
  if (max_failures_ == 0) return;  // unlimited: nothing worth remembering
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    make_room(now);
    order_.push_back(key);
    it = entries_.emplace(key, Entry{0, now, std::prev(order_.end())}).first;
  } else if (expired(it->second, now)) {
    // A new window: to the back of the order, with the newest.
    it->second = Entry{0, now, it->second.order};
    order_.splice(order_.end(), order_, it->second.order);
  }
  if (it->second.failures < max_failures_) ++it->second.failures;  // more would say nothing
}

void LoginThrottle::Counts::clear(const std::string& key) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return;
  order_.erase(it->second.order);
  entries_.erase(it);
}

void LoginThrottle::Counts::make_room(Clock::time_point now) {
  // Windows start in order, so the expired entries are at the front, before the oldest
  // live ones. (Threads may pass time points a little out of order; an entry then
  // waits behind a younger one for eviction, which costs nothing but a little memory.)
  while (!order_.empty() &&
         (entries_.size() >= max_tracked_ || expired(entries_.at(order_.front()), now))) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

LoginThrottle::LoginThrottle(std::size_t max_failures_per_address,
                             std::size_t max_failures_per_account, std::chrono::seconds window,
                             std::size_t max_tracked)
    : addresses_(max_failures_per_address, window, max_tracked),
      accounts_(max_failures_per_account, window, max_tracked) {
  if (window <= std::chrono::seconds::zero()) {
    throw std::invalid_argument("LoginThrottle: the window must be positive");
  }
  if (max_tracked == 0) throw std::invalid_argument("LoginThrottle: max_tracked must be >= 1");
}

bool LoginThrottle::allowed(std::string_view address, std::string_view account,
                            Clock::time_point now) const {
  const std::string address_key(address);
  const auto account_key = ascii_lower(account);
  std::lock_guard lock(mutex_);
  // No name (a token that named no account): the address alone counts.
  return !addresses_.blocked(address_key, now) &&
         (account_key.empty() || !accounts_.blocked(account_key, now));
}

void LoginThrottle::failed(std::string_view address, std::string_view account,
                           Clock::time_point now) {
  const std::string address_key(address);
  const auto account_key = ascii_lower(account);
  std::lock_guard lock(mutex_);
  addresses_.fail(address_key, now);
  if (!account_key.empty()) accounts_.fail(account_key, now);
}

void LoginThrottle::succeeded(std::string_view /*address*/, std::string_view account) {
  const auto account_key = ascii_lower(account);
  std::lock_guard lock(mutex_);
  accounts_.clear(account_key);
}

std::size_t LoginThrottle::tracked_addresses() const {
  std::lock_guard lock(mutex_);
  return addresses_.size();
}

std::size_t LoginThrottle::tracked_accounts() const {
  std::lock_guard lock(mutex_);
  return accounts_.size();
}

}  // namespace socketchat::detail
