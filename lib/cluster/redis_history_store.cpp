// History as Redis streams (redis_history_store.hpp), through hiredis's blocking API:
// the server calls a blocking store from its history writer thread, never from an I/O
// thread.
#include "socketchat/redis_history_store.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
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

// A cluster's messages, each stored in its scope's stream, kept in the feed's backlog
// (trimmed to about ARGV[1] entries) and published with its place there, all at once:
// one script for a batch, so that Redis runs it as one command.
// KEYS: the set of scopes, the backlog, then each record's stream. ARGV: the backlog's
// length, then for each record: ms, from, text, scope, and its event
// (ClusterEvent::encode; empty: stored only).
const detail::RedisScript& store_and_publish() {
  static const detail::RedisScript script(R"lua(
for i = 3, #KEYS do
  local a = 2 + (i - 3) * 5
  redis.call('XADD', KEYS[i], '*', 'ms', ARGV[a], 'from', ARGV[a + 1], 'text', ARGV[a + 2])
  redis.call('SADD', KEYS[1], ARGV[a + 3])
  local event = ARGV[a + 4]
  if event ~= '' then
    local at = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'e', event)
    redis.call('PUBLISH', 'sc:feed', 'S\t' .. at .. '\t' .. event)
  end
end
return #KEYS - 2
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
  if (!impl_->node.empty()) return append_published(records);
  // One round trip: MULTI, an XADD and SADD per record, EXEC; all of them or none.
  impl_->queue({"MULTI"});
  for (const auto& record : records) {
    const std::string key = stream_key(record.scope), ms = std::to_string(record.unix_ms);
    impl_->queue({"XADD", key, "*", "ms", ms, "from", record.from, "text", record.text});
    impl_->queue({"SADD", scopes_key, record.scope});
  }
  impl_->queue({"EXEC"});
  bool failed = false;
  std::string why;
  for (std::size_t i = 0; i < 1 + 2 * records.size(); ++i) {  // +OK, then QUEUED each
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

void RedisHistoryStore::append_published(std::span<const HistoryRecord> records) {
  // A cluster's node: one script stores the batch, keeps it in the feed's backlog and
  // publishes it, so that the other nodes hear of exactly what is stored.
  std::deque<std::string> owned;  // the words the views below point into (never moved)
  std::vector<std::string_view> keys, arguments;
  keys.reserve(2 + records.size());
  arguments.reserve(1 + 5 * records.size());
  keys.push_back(scopes_key);
  keys.push_back(detail::feed_backlog_key);
  arguments.push_back(impl_->backlog);
  for (const auto& record : records) {
    std::string recipient;
    auto event = detail::ClusterEvent::of_message(impl_->node, record, recipient);
    owned.push_back(stream_key(record.scope));
    keys.push_back(owned.back());
    owned.push_back(std::to_string(record.unix_ms));
    arguments.push_back(owned.back());
    arguments.push_back(record.from);
    arguments.push_back(record.text);
    arguments.push_back(record.scope);
    owned.push_back(event ? event->encode() : std::string());
    arguments.push_back(owned.back());
  }
  RedisReply done = store_and_publish().run(*impl_, keys, arguments);
  if (done.failed()) throw std::runtime_error("Redis refused the history: " + done.text);
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
