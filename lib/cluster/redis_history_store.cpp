// History as Redis streams (redis_history_store.hpp), through hiredis's blocking API:
// the server calls a blocking store from its history writer thread, never from an I/O
// thread.
#include "socketchat/redis_history_store.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/cluster_event.hpp"
#include "cluster/redis_blocking.hpp"
#include "cluster/redis_reply.hpp"
#include "cluster/redis_script.hpp"

namespace socketchat {

using detail::RedisReply;

namespace {

constexpr std::string_view key_prefix = "sc:history:";
constexpr std::string_view scopes_key = "sc:history:scopes";  // every scope written, for prune()

std::string stream_key(std::string_view scope) {
  return std::string(key_prefix) + std::string(scope);
}

// A stream entry's fields, as append() writes them: ms, from, text.
HistoryRecord record_of(const std::string& scope, const RedisReply& entry) {
  HistoryRecord record{.scope = scope};
  if (entry.elements.size() != 2) return record;
  const auto& fields = entry.elements[1].elements;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i].text;
    const std::string& value = fields[i + 1].text;
    if (name == "ms") record.unix_ms = std::stoll(value);
    if (name == "from") record.from = value;
    if (name == "text") record.text = value;
  }
  return record;
}

// A cluster's message: stored in its scope's stream, kept in the feed's backlog (trimmed
// to about ARGV[6] entries) and published with its place there, atomically.
// KEYS: the scope's stream, the set of scopes, the backlog. ARGV: ms, from, text, scope,
// the event (ClusterEvent::encode), the backlog's length.
const detail::RedisScript& store_and_publish() {
  static const detail::RedisScript script(R"lua(
redis.call('XADD', KEYS[1], '*', 'ms', ARGV[1], 'from', ARGV[2], 'text', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
local at = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'e', ARGV[5])
redis.call('PUBLISH', 'sc:feed', 'S\t' .. at .. '\t' .. ARGV[5])
return at
)lua");
  return script;
}

}  // namespace

struct RedisHistoryStore::Impl : detail::RedisBlocking {
  using RedisBlocking::RedisBlocking;
  std::string node;  // a cluster's node: publish each record as sent by it
  std::string backlog;
};

void detail::publish_history_as(RedisHistoryStore& store, std::string node, std::size_t backlog) {
  std::lock_guard lock(store.impl_->mutex);
  store.impl_->node = std::move(node);
  store.impl_->backlog = std::to_string(backlog);
}

RedisHistoryStore::RedisHistoryStore(RedisOptions options)
    : impl_(std::make_unique<Impl>(options, "history in Redis")) {}

RedisHistoryStore::~RedisHistoryStore() = default;

void RedisHistoryStore::append(std::span<const HistoryRecord> records) {
  if (records.empty()) return;
  std::lock_guard lock(impl_->mutex);
  // One round trip: MULTI, each record, EXEC; all of them or none. A record is an XADD
  // and SADD, or in a cluster the script that also keeps it in the feed's backlog and
  // publishes it, so that the other nodes hear of exactly what is stored. The script is
  // loaded first in the same round trip: a Redis restarted meanwhile knows it again.
  const bool cluster = !impl_->node.empty();
  const auto& script = store_and_publish();
  std::size_t replies = 0;
  if (cluster) {
    impl_->queue({"SCRIPT", "LOAD", script.text()});
    ++replies;
  }
  impl_->queue({"MULTI"});
  ++replies;
  for (const auto& record : records) {
    const std::string key = stream_key(record.scope), ms = std::to_string(record.unix_ms);
    std::string recipient;
    auto event =
        cluster ? detail::ClusterEvent::of_message(impl_->node, record, recipient) : std::nullopt;
    if (event) {
      impl_->queue({"EVALSHA", script.sha1(), "3", key, scopes_key, detail::feed_backlog_key, ms,
                    record.from, record.text, record.scope, event->encode(), impl_->backlog});
      ++replies;
    } else {
      impl_->queue({"XADD", key, "*", "ms", ms, "from", record.from, "text", record.text});
      impl_->queue({"SADD", scopes_key, record.scope});
      replies += 2;
    }
  }
  impl_->queue({"EXEC"});
  bool failed = false;
  std::string why;
  for (std::size_t i = 0; i < replies; ++i) {  // the script's SHA-1, +OK, then QUEUED each
    RedisReply reply = impl_->next_reply();
    if (reply.failed() && !failed) {
      failed = true;
      why = reply.text;
    }
  }
  RedisReply done = impl_->next_reply();
  if (failed || done.kind != RedisReply::Kind::array) {
    throw std::runtime_error("Redis refused the history: " + (why.empty() ? done.text : why));
  }
  for (const auto& result : done.elements) {
    if (result.failed()) throw std::runtime_error("Redis refused the history: " + result.text);
  }
}

std::vector<HistoryRecord> RedisHistoryStore::latest(const std::string& scope, std::size_t limit) {
  std::vector<HistoryRecord> records;
  if (limit == 0) return records;
  std::lock_guard lock(impl_->mutex);
  const auto count = std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max());
  RedisReply reply =
      impl_->run({"XREVRANGE", stream_key(scope), "+", "-", "COUNT", std::to_string(count)});
  if (reply.kind != RedisReply::Kind::array) {
    throw std::runtime_error("Redis history of " + scope + ": " + reply.text);
  }
  records.reserve(reply.elements.size());
  for (auto entry = reply.elements.rbegin(); entry != reply.elements.rend(); ++entry) {
    records.push_back(record_of(scope, *entry));  // oldest first
  }
  return records;
}

std::size_t RedisHistoryStore::prune(std::chrono::system_clock::time_point cutoff) {
  const auto cutoff_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  std::lock_guard lock(impl_->mutex);
  RedisReply scopes = impl_->run({"SMEMBERS", scopes_key});
  std::size_t removed = 0;
  for (const auto& scope : scopes.elements) {
    RedisReply trimmed = impl_->run({"XTRIM", stream_key(scope.text), "MINID",
                                     std::to_string(std::max<std::int64_t>(cutoff_ms, 0))});
    if (trimmed.kind == RedisReply::Kind::integer)
      removed += static_cast<std::size_t>(trimmed.integer);
  }
  return removed;
}

}  // namespace socketchat
