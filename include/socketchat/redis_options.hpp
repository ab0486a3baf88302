#pragma once

#include <chrono>
#include <string>

namespace socketchat {

// Where a Redis is, for the stores kept in it (RedisHistoryStore, RedisAccountStore).
struct RedisOptions {
  // "redis://host[:port][/db]" or "redis+unix:///path[?db=N]".
  std::string url{};
  // Redis's password (AUTH), if it asks for one. A secret: never logged.
  std::string password{};
  // How long connecting, and each call, may wait for Redis before failing.
  std::chrono::milliseconds timeout{2000};
};

}  // namespace socketchat
