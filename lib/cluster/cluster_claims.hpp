#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace socketchat::detail {

// Names this node has claimed in Redis for a LOGIN the Hub has not finished yet: the
// claim comes first (ClusterAuthenticator), the Hub's own later (ClusterDirectory
// adopts it). A LOGIN that never finishes (its connection closed meanwhile, a ban)
// leaves its claim here until it expires, when the node gives the name back.
// Any thread.
class ClusterClaims {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ClusterClaims(Clock::duration patience) : patience_(patience) {}

  // Records `name` (`key` its lower case) as claimed for `connection`; the name that
  // connection had claimed before and not used, if any, to give back.
  std::optional<std::string> reserve(std::uint64_t connection, std::string key, std::string name,
                                     Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    std::optional<std::string> before;
    auto [it, added] = reserved_.try_emplace(connection);
    if (!added && it->second.key != key) before = std::move(it->second.name);
    it->second = {std::move(key), std::move(name), now + patience_};
    return before;
  }

  // True, and forgotten, if `key` was claimed for `connection` and has not expired.
  bool adopt(std::uint64_t connection, const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = reserved_.find(connection);
    if (it == reserved_.end() || it->second.key != key) return false;
    reserved_.erase(it);
    return true;
  }

  // The names whose LOGIN did not finish in time, forgotten: to give back.
  std::vector<std::string> expired(Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    std::erase_if(reserved_, [&](auto& entry) {
      if (entry.second.until > now) return false;
      names.push_back(std::move(entry.second.name));
      return true;
    });
    return names;
  }

 private:
  struct Reserved {
    std::string key;
    std::string name;
    Clock::time_point until;
  };
  std::mutex mutex_;
  std::unordered_map<std::uint64_t, Reserved> reserved_;
  Clock::duration patience_;
};

}  // namespace socketchat::detail
