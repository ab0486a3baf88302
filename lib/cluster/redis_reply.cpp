// RedisReply out of hiredis's reply tree (redis_reply.hpp).
#include "cluster/redis_reply.hpp"

#include <hiredis/hiredis.h>

namespace socketchat::detail {

RedisReply RedisReply::from(const redisReply* reply) {
  RedisReply out;
  if (reply == nullptr) return out;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      out.kind = Kind::string;
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = Kind::array;
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = Kind::integer;
      break;
    case REDIS_REPLY_NIL:
      out.kind = Kind::nil;
      break;
    case REDIS_REPLY_STATUS:
      out.kind = Kind::status;
      break;
    default:
      out.kind = Kind::error;
      break;
  }
  if (reply->str != nullptr) out.text.assign(reply->str, reply->len);
  out.integer = reply->integer;
  out.elements.reserve(reply->elements);
  for (std::size_t i = 0; i < reply->elements; ++i) out.elements.push_back(from(reply->element[i]));
  return out;
}

}  // namespace socketchat::detail
