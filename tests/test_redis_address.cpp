// The --cluster URL (docs/CLUSTER.md, Joining): TCP and Unix forms, the database, and
// what is refused (credentials in the URL, bad ports and numbers).
#include <doctest/doctest.h>

#include <string>

#include "cluster/redis_address.hpp"

using namespace socketchat::detail;

namespace {

RedisAddress parsed(std::string_view url) {
  std::string why;
  auto address = parse_redis_url(url, why);
  INFO(url, ": ", why);
  REQUIRE(address.has_value());
  return *address;
}

std::string refused(std::string_view url) {
  std::string why;
  auto address = parse_redis_url(url, why);
  CHECK_FALSE(address.has_value());
  return why;
}

}  // namespace

TEST_CASE("redis://host[:port][/db]") {
  auto a = parsed("redis://127.0.0.1");
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 6379);
  CHECK(a.database == 0);
  CHECK(a.unix_path.empty());
  a = parsed("redis://redis.internal:7000/2");
  CHECK(a.host == "redis.internal");
  CHECK(a.port == 7000);
  CHECK(a.database == 2);
  a = parsed("redis://[::1]:6380/15");
  CHECK(a.host == "::1");
  CHECK(a.port == 6380);
  CHECK(a.database == 15);
  CHECK(to_string(a) == "redis://[::1]:6380/15");
  CHECK(to_string(parsed("redis://h")) == "redis://h:6379/0");
}

TEST_CASE("redis+unix:///path[?db=N]") {
  auto a = parsed("redis+unix:///run/redis/redis.sock");
  CHECK(a.unix_path == "/run/redis/redis.sock");
  CHECK(a.host.empty());
  CHECK(a.database == 0);
  a = parsed("redis+unix:///tmp/r.sock?db=4");
  CHECK(a.unix_path == "/tmp/r.sock");
  CHECK(a.database == 4);
  CHECK(to_string(a) == "redis+unix:///tmp/r.sock?db=4");
}

TEST_CASE("malformed URLs say why") {
  CHECK(refused("http://127.0.0.1") != "");
  CHECK(refused("redis://") != "");
  CHECK(refused("redis://:6379") != "");
  CHECK(refused("redis://h:0") != "");
  CHECK(refused("redis://h:65536") != "");
  CHECK(refused("redis://h:port") != "");
  CHECK(refused("redis://h/x") != "");
  CHECK(refused("redis://h/-1") != "");
  CHECK(refused("redis://[::1") != "");
  CHECK(refused("redis://[::1]x") != "");
  CHECK(refused("redis+unix://relative.sock") != "");
  CHECK(refused("redis+unix:///r.sock?database=1") != "");
  CHECK(refused("redis+unix:///r.sock?db=x") != "");
  // A password never goes in the URL (it would show wherever the URL does).
  const std::string why = refused("redis://user:secret@h:6379");
  CHECK(why.find("secret") == std::string::npos);
  CHECK(why.find("file") != std::string::npos);
}
