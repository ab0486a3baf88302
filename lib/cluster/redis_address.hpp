#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace socketchat::detail {

// Where a cluster's Redis is (docs/CLUSTER.md, Joining): a TCP host and port, or a
// Unix socket; the database number; a password, set apart from the URL (never in it,
// so never in a log line that shows the URL).
struct RedisAddress {
  std::string host{};  // empty with a Unix socket
  std::uint16_t port = 6379;
  std::string unix_path{};  // set for redis+unix://
  int database = 0;
  std::string password{};  // a secret: never logged
};

// "redis://host[:port][/db]" or "redis+unix:///path/to/redis.sock[?db=N]". A host may be
// a name, an IPv4 address, or an IPv6 one in brackets. Nothing else is taken: no
// user or password in the URL (the password comes from a file). Empty on a malformed
// URL, with the reason in `why`.
std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string& why);

// The URL again, for logs: never a password.
std::string to_string(const RedisAddress& address);

}  // namespace socketchat::detail
