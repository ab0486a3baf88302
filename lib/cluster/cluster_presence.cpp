// The node's lease and its users' names in Redis (cluster_presence.hpp). The scripts are
// the whole of the logic: each runs atomically in Redis, on Redis's own clock.
#include "cluster/cluster_presence.hpp"

#include "cluster/redis_script.hpp"

#include "util/text.hpp"

namespace socketchat::detail {
namespace {

// Redis's clock in ms, in every script: nodes' clocks may differ, Redis's is one.
#define NOW_MS                     \
  "local t = redis.call('TIME')\n" \
  "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

// Frees one user held by `node`: its rooms, its name, and says so on sc:feed
// (ClusterEvent departed). Then every node that frees a node's users.
#define FREE                                                                                \
  "local function free_user(node, lc, name)\n"                                              \
  "  local rooms = 'sc:user:' .. lc .. ':rooms'\n"                                          \
  "  for _, room in ipairs(redis.call('SMEMBERS', rooms)) do\n"                             \
  "    local members = 'sc:members:' .. room\n"                                             \
  "    redis.call('HDEL', members, lc)\n"                                                   \
  "    if redis.call('HLEN', members) == 0 then redis.call('HDEL', 'sc:rooms', room) end\n" \
  "  end\n"                                                                                 \
  "  redis.call('DEL', rooms)\n"                                                            \
  "  redis.call('HDEL', 'sc:users', lc)\n"                                                  \
  "  redis.call('SREM', 'sc:node:' .. node .. ':users', lc)\n"                              \
  "  redis.call('PUBLISH', 'sc:feed', 'D\\t' .. node .. '\\t' .. name)\n"                   \
  "end\n"                                                                                   \
  "local function free_node(node)\n"                                                        \
  "  for _, lc in ipairs(redis.call('SMEMBERS', 'sc:node:' .. node .. ':users')) do\n"      \
  "    local held = redis.call('HGET', 'sc:users', lc)\n"                                   \
  "    if held and string.sub(held, 1, #node + 1) == node .. ' ' then\n"                    \
  "      free_user(node, lc, string.sub(held, #node + 2))\n"                                \
  "    end\n"                                                                               \
  "  end\n"                                                                                 \
  "  redis.call('DEL', 'sc:node:' .. node .. ':users')\n"                                   \
  "  redis.call('ZREM', 'sc:nodes', node)\n"                                                \
  "end\n"

// ARGV: node, lease ms. Renews the node's lease and reaps the nodes whose lease has run
// out. Returns 1 if the node's lease was still running, 0 if it had lapsed (or is new).
const RedisScript renew_script(NOW_MS FREE R"lua(
local was = redis.call('ZSCORE', 'sc:nodes', ARGV[1])
redis.call('ZADD', 'sc:nodes', now + tonumber(ARGV[2]), ARGV[1])
for _, node in ipairs(redis.call('ZRANGEBYSCORE', 'sc:nodes', '-inf', '(' .. now)) do
  free_node(node)
end
if was and tonumber(was) >= now then return 1 end
return 0
)lua");

// ARGV: node, name in lower case, name as spelled. 1: claimed; 0: a live node holds it;
// -1: this node's lease has run out (it may claim nothing until it renews).
const RedisScript claim_script(NOW_MS FREE R"lua(
local mine = redis.call('ZSCORE', 'sc:nodes', ARGV[1])
if not mine or tonumber(mine) < now then return -1 end
local held = redis.call('HGET', 'sc:users', ARGV[2])
if held then
  local owner = string.match(held, '^(%S+) ')
  local lease = redis.call('ZSCORE', 'sc:nodes', owner)
  if lease and tonumber(lease) >= now then return 0 end
  free_user(owner, ARGV[2], string.sub(held, #owner + 2))
end
redis.call('HSET', 'sc:users', ARGV[2], ARGV[1] .. ' ' .. ARGV[3])
redis.call('SADD', 'sc:node:' .. ARGV[1] .. ':users', ARGV[2])
redis.call('PUBLISH', 'sc:feed', 'A\t' .. ARGV[1] .. '\t' .. ARGV[3])
return 1
)lua");

// ARGV: node, name in lower case. Frees the name if this node holds it.
const RedisScript release_script(FREE R"lua(
local held = redis.call('HGET', 'sc:users', ARGV[2])
if held and string.sub(held, 1, #ARGV[1] + 1) == ARGV[1] .. ' ' then
  free_user(ARGV[1], ARGV[2], string.sub(held, #ARGV[1] + 2))
end
return 1
)lua");

// A user of `node` joins or parts a room, said on sc:feed (ClusterEvent joined, parted).
// join_room: 1 joined, 2 a member already; with the room as Redis spells it.
#define ROOMS                                                                              \
  "local function join_room(node, lc, name, key, spelled)\n"                               \
  "  redis.call('HSETNX', 'sc:rooms', key, spelled)\n"                                     \
  "  local room = redis.call('HGET', 'sc:rooms', key)\n"                                   \
  "  if redis.call('HSET', 'sc:members:' .. key, lc, name) == 0 then return 2, room end\n" \
  "  redis.call('SADD', 'sc:user:' .. lc .. ':rooms', key)\n"                              \
  "  redis.call('PUBLISH', 'sc:feed', 'J\\t' .. node .. '\\t' .. name .. '\\t' .. room)\n" \
  "  return 1, room\n"                                                                     \
  "end\n"                                                                                  \
  "local function part_room(node, lc, name, key)\n"                                        \
  "  local members = 'sc:members:' .. key\n"                                               \
  "  if redis.call('HDEL', members, lc) == 0 then return 0 end\n"                          \
  "  local room = redis.call('HGET', 'sc:rooms', key) or key\n"                            \
  "  if redis.call('HLEN', members) == 0 then redis.call('HDEL', 'sc:rooms', key) end\n"   \
  "  redis.call('SREM', 'sc:user:' .. lc .. ':rooms', key)\n"                              \
  "  redis.call('PUBLISH', 'sc:feed', 'P\\t' .. node .. '\\t' .. name .. '\\t' .. room)\n" \
  "  return 1\n"                                                                           \
  "end\n"                                                                                  \
  "local function name_of(node, lc)\n"                                                     \
  "  local held = redis.call('HGET', 'sc:users', lc)\n"                                    \
  "  if not held or string.sub(held, 1, #node + 1) ~= node .. ' ' then return nil end\n"   \
  "  return string.sub(held, #node + 2)\n"                                                 \
  "end\n"

// ARGV: node, user key, room key, room as spelled (if new). {0}: the user is not this
// node's; {1, room}: joined, and published; {2, room}: a member already.
const RedisScript join_script(ROOMS R"lua(
local name = name_of(ARGV[1], ARGV[2])
if not name then return {0} end
local joined, room = join_room(ARGV[1], ARGV[2], name, ARGV[3], ARGV[4])
return {joined, room}
)lua");

// ARGV: node, user key, room key.
const RedisScript part_script(ROOMS R"lua(
local name = name_of(ARGV[1], ARGV[2])
if not name then return 0 end
return part_room(ARGV[1], ARGV[2], name, ARGV[3])
)lua");

// ARGV: node, then for each of its users: key, name, n, then n pairs of room key and
// room name. Makes this node's users in Redis exactly these, each in exactly its rooms
// (after Redis came back: what changed meanwhile, and what Redis lost, if it did),
// publishing each change. Returns the keys of those a live node holds now.
const RedisScript restore_script(NOW_MS FREE ROOMS R"lua(
local node = ARGV[1]
local users = {}
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i + 2])
  local rooms = {}
  for j = 1, n do rooms[ARGV[i + 1 + 2 * j]] = ARGV[i + 2 + 2 * j] end
  users[ARGV[i]] = {name = ARGV[i + 1], rooms = rooms}
  i = i + 3 + 2 * n
end
local set = 'sc:node:' .. node .. ':users'
for _, lc in ipairs(redis.call('SMEMBERS', set)) do
  if not users[lc] then
    local name = name_of(node, lc)
    if name then free_user(node, lc, name) else redis.call('SREM', set, lc) end
  end
end
local taken = {}
for lc, user in pairs(users) do
  local held = redis.call('HGET', 'sc:users', lc)
  if held and string.sub(held, 1, #node + 1) ~= node .. ' ' then
    local owner = string.match(held, '^(%S+) ')
    local lease = redis.call('ZSCORE', 'sc:nodes', owner)
    if lease and tonumber(lease) >= now then
      taken[#taken + 1] = lc
    else
      free_user(owner, lc, string.sub(held, #owner + 2))
      held = nil
    end
  end
  if not held then
    redis.call('HSET', 'sc:users', lc, node .. ' ' .. user.name)
    redis.call('SADD', set, lc)
    redis.call('PUBLISH', 'sc:feed', 'A\t' .. node .. '\t' .. user.name)
  end
  if name_of(node, lc) then
    for _, key in ipairs(redis.call('SMEMBERS', 'sc:user:' .. lc .. ':rooms')) do
      if not user.rooms[key] then part_room(node, lc, user.name, key) end
    end
    for key, spelled in pairs(user.rooms) do join_room(node, lc, user.name, key, spelled) end
  end
end
return taken
)lua");

// No arguments. {users, rooms, bans, mutes}: users as HGETALL gives them; each room
// {key, name, members as HGETALL gives them}; bans and mutes, "<scope>\n<user key>" each.
const RedisScript snapshot_script(R"lua(
local rooms = {}
for _, key in ipairs(redis.call('HKEYS', 'sc:rooms')) do
  rooms[#rooms + 1] = {key, redis.call('HGET', 'sc:rooms', key),
                       redis.call('HGETALL', 'sc:members:' .. key)}
end
return {redis.call('HGETALL', 'sc:users'), rooms, redis.call('SMEMBERS', 'sc:bans'),
        redis.call('SMEMBERS', 'sc:mutes')}
)lua");

// ARGV: node, by, "bans" or "mutes", scope, user key, "ban"/"unban"/"mute"/"unmute".
// Kept in sc:bans or sc:mutes, and said on sc:feed (ClusterEvent moderated).
const RedisScript moderate_script(R"lua(
local entry = ARGV[4] .. '\n' .. ARGV[5]
local changed
if ARGV[6] == 'ban' or ARGV[6] == 'mute' then
  changed = redis.call('SADD', 'sc:' .. ARGV[3], entry)
else
  changed = redis.call('SREM', 'sc:' .. ARGV[3], entry)
end
if changed == 1 then
  redis.call('PUBLISH', 'sc:feed', 'X\t' .. ARGV[1] .. '\t' .. ARGV[2] .. '\t' .. ARGV[4] ..
             '\t' .. ARGV[6] .. ' ' .. ARGV[5])
end
return changed
)lua");

// ARGV: node. The node leaves: its names freed and announced, its lease gone.
const RedisScript leave_script(FREE R"lua(
free_node(ARGV[1])
return 1
)lua");

#undef NOW_MS
#undef FREE
#undef ROOMS

}  // namespace

ClusterPresence::ClusterPresence(RedisConnection& connection, std::string node,
                                 std::chrono::milliseconds lease)
    : connection_(connection),
      node_(std::move(node)),
      lease_(lease),
      timer_(connection.executor()) {}

ClusterPresence::~ClusterPresence() {
  alive_.reset();
  timer_.cancel();
}

void ClusterPresence::start(RedisConnection::Done done) {
  started_ = std::move(done);
  renew();
}

void ClusterPresence::renew() {
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

void ClusterPresence::leave(RedisConnection::Done done) {
  timer_.cancel();
  alive_ = std::make_shared<char>();  // the pending renewal's reply no longer re-arms
  const bool sent = leave_script.run(connection_, {}, {node_}, [done](RedisReply reply) {
    if (done)
      done(reply.failed() ? (reply.text.empty() ? "Redis did not answer" : reply.text) : "");
  });
  if (!sent && done) done("not connected to Redis");
}

void ClusterPresence::claim(std::string_view name, Claimed claimed) {
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

void ClusterPresence::join(std::string_view user_key, std::string_view room_key,
                           std::string_view room, Joined joined) {
  auto answer = [joined](RedisReply reply) {
    if (!joined) return;
    const auto& words = reply.elements;
    if (reply.kind != RedisReply::Kind::array || words.empty() || words[0].integer == 0) {
      return joined(JoinAnswer::refused, {});
    }
    joined(words[0].integer == 1 ? JoinAnswer::joined : JoinAnswer::member_already,
           words.size() > 1 ? words[1].text : std::string());
  };
  if (!join_script.run(connection_, {}, {node_, user_key, room_key, room}, answer)) {
    answer(RedisReply{});
  }
}

void ClusterPresence::part(std::string_view user_key, std::string_view room_key) {
  part_script.run(connection_, {}, {node_, user_key, room_key}, [](RedisReply) {});
}

void ClusterPresence::restore(const std::vector<std::string>& words,
                              RedisConnection::ReplyHandler reply) {
  std::vector<std::string_view> arguments;
  arguments.reserve(words.size() + 1);
  arguments.push_back(node_);
  arguments.insert(arguments.end(), words.begin(), words.end());
  if (!restore_script.run(connection_, {}, arguments, reply)) reply(RedisReply{});
}

void ClusterPresence::moderate(std::string_view by, bool ban, std::string_view scope,
                               std::string_view user_key, bool added) {
  const std::string_view what = ban ? (added ? "ban" : "unban") : (added ? "mute" : "unmute");
  moderate_script.run(connection_, {}, {node_, by, ban ? "bans" : "mutes", scope, user_key, what},
                      [](RedisReply) {});
}

void ClusterPresence::snapshot(RedisConnection::ReplyHandler reply) {
  if (!snapshot_script.run(connection_, {}, {}, reply)) reply(RedisReply{});
}

void ClusterPresence::release(std::string_view name, RedisConnection::Done done) {
  const std::string lower = ascii_lower(name);
  const bool sent = release_script.run(connection_, {}, {node_, lower}, [done](RedisReply reply) {
    if (done)
      done(reply.failed() ? (reply.text.empty() ? "Redis did not answer" : reply.text) : "");
  });
  if (!sent && done) done("not connected to Redis");
}

}  // namespace socketchat::detail
