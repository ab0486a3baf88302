// The node's lease and its users' names in Redis (cluster_names.hpp). The scripts are
// the whole of the logic: each runs atomically in Redis, on Redis's own clock.
#include "cluster/cluster_names.hpp"

#include "util/text.hpp"

namespace socketchat::detail {
namespace {

// Redis's clock in ms, in every script: nodes' clocks may differ, Redis's is one.
#define NOW_MS                     \
  "local t = redis.call('TIME')\n" \
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

// Frees the names still held by `node` (a dead or departing node) and says so on sc:feed.
#define FREE_NODE                                                                      \
  "local function free(node)\n"                                                        \
  "  local set = 'sc:node:' .. node .. ':users'\n"                                     \
  "  for _, lc in ipairs(redis.call('SMEMBERS', set)) do\n"                            \
  "    local held = redis.call('HGET', 'sc:users', lc)\n"                              \
  "    if held and string.sub(held, 1, #node + 1) == node .. ' ' then\n"               \
  "      redis.call('HDEL', 'sc:users', lc)\n"                                         \
  "      redis.call('PUBLISH', 'sc:feed', 'left\\t' .. string.sub(held, #node + 2))\n" \
  "    end\n"                                                                          \
  "  end\n"                                                                            \
  "  redis.call('DEL', set)\n"                                                         \
  "  redis.call('ZREM', 'sc:nodes', node)\n"                                           \
  "end\n"

// ARGV: node, lease ms. Renews the node's lease and reaps the nodes whose lease has run
// out. Returns 1 if the node's lease was still running, 0 if it had lapsed (or is new).
const RedisScript renew_script(NOW_MS FREE_NODE R"lua(
local was = redis.call('ZSCORE', 'sc:nodes', ARGV[1])
redis.call('ZADD', 'sc:nodes', now + tonumber(ARGV[2]), ARGV[1])
for _, node in ipairs(redis.call('ZRANGEBYSCORE', 'sc:nodes', '-inf', '(' .. now)) do
  free(node)
end
if was and tonumber(was) >= now then return 1 end
return 0
)lua");

// ARGV: node, name in lower case, name as spelled. 1: claimed; 0: a live node holds it;
// -1: this node's lease has run out (it may claim nothing until it renews).
const RedisScript claim_script(NOW_MS R"lua(
local mine = redis.call('ZSCORE', 'sc:nodes', ARGV[1])
if not mine or tonumber(mine) < now then return -1 end
local held = redis.call('HGET', 'sc:users', ARGV[2])
if held then
  local owner = string.match(held, '^(%S+) ')
  local lease = redis.call('ZSCORE', 'sc:nodes', owner)
  if lease and tonumber(lease) >= now then return 0 end
  redis.call('SREM', 'sc:node:' .. owner .. ':users', ARGV[2])
  redis.call('PUBLISH', 'sc:feed', 'left\t' .. string.sub(held, #owner + 2))
end
redis.call('HSET', 'sc:users', ARGV[2], ARGV[1] .. ' ' .. ARGV[3])
redis.call('SADD', 'sc:node:' .. ARGV[1] .. ':users', ARGV[2])
return 1
)lua");

// ARGV: node, name in lower case. Frees the name if this node holds it.
const RedisScript release_script(R"lua(
local held = redis.call('HGET', 'sc:users', ARGV[2])
if held and string.sub(held, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then
  redis.call('HDEL', 'sc:users', ARGV[2])
end
redis.call('SREM', 'sc:node:' .. ARGV[1] .. ':users', ARGV[2])
return 1
)lua");

// ARGV: node. The node leaves: its names freed and announced, its lease gone.
const RedisScript leave_script(FREE_NODE R"lua(
free(ARGV[1])
return 1
)lua");

#undef NOW_MS
#undef FREE_NODE

}  // namespace

ClusterNames::ClusterNames(RedisConnection& connection, std::string node,
                           std::chrono::milliseconds lease)
    : connection_(connection),
      node_(std::move(node)),
      lease_(lease),
      timer_(connection.executor()) {}

ClusterNames::~ClusterNames() {
  alive_.reset();
  timer_.cancel();
}

void ClusterNames::start(RedisConnection::Done done) {
  started_ = std::move(done);
  renew();
}

void ClusterNames::renew() {
  const std::string lease = std::to_string(lease_.count());
  std::weak_ptr<char> alive = alive_;
  const bool sent =
      renew_script.run(connection_, {}, {node_, lease}, [this, alive](RedisReply reply) {
        if (alive.expired()) return;
        if (auto started = std::exchange(started_, nullptr)) {
          started(reply.failed() ? (reply.text.empty() ? "Redis did not answer" : reply.text) : "");
        }
        // Renewed or not, try again in a third of the lease: a Redis back soon renews in time.
        timer_.expires_after(lease_ / 3);
        timer_.async_wait([this, alive](std::error_code ec) {
          if (!ec && !alive.expired()) renew();
        });
      });
  if (!sent) {
    if (auto started = std::exchange(started_, nullptr)) started("not connected to Redis");
    timer_.expires_after(lease_ / 3);
    timer_.async_wait([this, alive](std::error_code ec) {
      if (!ec && !alive.expired()) renew();
    });
  }
}

void ClusterNames::leave(RedisConnection::Done done) {
  timer_.cancel();
  alive_ = std::make_shared<char>();  // the pending renewal's reply no longer re-arms
  const bool sent = leave_script.run(connection_, {}, {node_}, [done](RedisReply reply) {
    if (done)
      done(reply.failed() ? (reply.text.empty() ? "Redis did not answer" : reply.text) : "");
  });
  if (!sent && done) done("not connected to Redis");
}

void ClusterNames::claim(std::string_view name, Claimed claimed) {
  const std::string lower = ascii_lower(name);
  const bool sent =
      claim_script.run(connection_, {}, {node_, lower, name}, [claimed](RedisReply reply) {
        if (reply.kind != RedisReply::Kind::integer) {
          return claimed(Claim::failed);
        }
        claimed(reply.integer == 1   ? Claim::claimed
                : reply.integer == 0 ? Claim::taken
                                     : Claim::failed);
      });
  if (!sent) claimed(Claim::failed);
}

void ClusterNames::release(std::string_view name, RedisConnection::Done done) {
  const std::string lower = ascii_lower(name);
  const bool sent = release_script.run(connection_, {}, {node_, lower}, [done](RedisReply reply) {
    if (done)
      done(reply.failed() ? (reply.text.empty() ? "Redis did not answer" : reply.text) : "");
  });
  if (!sent && done) done("not connected to Redis");
}

}  // namespace socketchat::detail
