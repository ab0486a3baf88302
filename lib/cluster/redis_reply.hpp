#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct redisReply;

namespace socketchat::detail {

// A Redis reply, copied out of hiredis's (which lives only during its callback).
// `lost`: no reply came, the connection ended first (or never was).
struct RedisReply {
  enum class Kind { string, array, integer, nil, status, error, lost };

  Kind kind = Kind::lost;
  std::string text{};  // string, status, error
  std::int64_t integer = 0;
  std::vector<RedisReply> elements{};  // array

  static RedisReply from(const redisReply* reply);  // null: lost

  bool failed() const noexcept { return kind == Kind::error || kind == Kind::lost; }
};

}  // namespace socketchat::detail
