// History as Redis streams (redis_history_store.hpp), through hiredis's blocking API:
// the server calls a blocking store from its history writer thread, never from an I/O
// thread.
#include "socketchat/redis_history_store.hpp"

#include <algorithm>
#include <charconv>
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
#include "store/history_epoch.hpp"
#include "util/text.hpp"

namespace socketchat {

using detail::RedisReply;

namespace {

constexpr std::string_view key_prefix = "sc:history:";
constexpr std::string_view scopes_key = "sc:history:scopes";  // every scope written, for prune()
constexpr std::string_view last_id_key = "sc:history:last";   // the highest id given
constexpr std::string_view epoch_key = "sc:history:epoch";
constexpr std::string_view removed_key = "sc:history:removed";  // the highest id pruned

std::string stream_key(std::string_view scope) {
  return std::string(key_prefix) + std::string(scope);
}

std::uint64_t number_of(const std::string& text) {
  std::uint64_t n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

// A stream entry's fields, as append() writes them: id, ms, from, text.
HistoryRecord record_of(const std::string& scope, const RedisReply& entry) {
  HistoryRecord record{.scope = scope};
  if (entry.elements.size() != 2) return record;
  const auto& fields = entry.elements[1].elements;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& name = fields[i].text;
    const std::string& value = fields[i + 1].text;
    if (name == "id") record.id = number_of(value);
    if (name == "ms") record.unix_ms = std::stoll(value);
    if (name == "from") record.from = value;
    if (name == "text") record.text = value;
  }
  return record;
}

// A batch of messages, each given the next id and stored in its scope's stream, all at
// once: one script, which Redis runs as one command. In a cluster each is also kept in
// the feed's backlog (trimmed to about ARGV[1] entries) with its id and stamp (KeptEvent)
// and published with its place there. The first append makes the epoch, ARGV[2].
// KEYS: the set of scopes, the backlog, the last id, the epoch, then each record's
// stream. ARGV: the backlog's length, a new epoch, then for each record: ms, from, text,
// scope, and its event (ClusterEvent::encode; empty: stored only).
// Returns the first record's id and the epoch.
const detail::RedisScript& store_and_publish() {
  static const detail::RedisScript script(R"lua(
local count = #KEYS - 4
local last = redis.call('INCRBY', KEYS[3], count)
local epoch = redis.call('GET', KEYS[4])
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[4], epoch)
end
for i = 1, count do
  local a = 3 + (i - 1) * 5
  local id = last - count + i
  redis.call('XADD', KEYS[4 + i], '*', 'id', id, 'ms', ARGV[a], 'from', ARGV[a + 1],
             'text', ARGV[a + 2])
  redis.call('SADD', KEYS[1], ARGV[a + 3])
  local event = ARGV[a + 4]
  if event ~= '' then
    local kept = epoch .. '\t' .. id .. '\t' .. ARGV[a] .. '\t' .. event
    local at = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'e', kept)
    redis.call('PUBLISH', 'sc:feed', 'S\t' .. at .. '\t' .. kept)
  end
end
return {last - count + 1, epoch}
)lua");
  return script;
}

// KEYS[1]: the highest id pruned, raised to ARGV[1] if that is higher.
const detail::RedisScript& raise_removed() {
  static const detail::RedisScript script(R"lua(
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
)lua");
  return script;
}

}  // namespace

struct RedisHistoryStore::Impl : detail::RedisBlocking {
  using RedisBlocking::RedisBlocking;
  std::string node;  // a cluster's node: publish each record as sent by it
  std::string backlog;
  std::string epoch;  // as Redis last said
};

void detail::publish_history_as(RedisHistoryStore& store, std::string node, std::size_t backlog) {
  std::lock_guard lock(store.impl_->mutex);
  store.impl_->node = std::move(node);
  store.impl_->backlog = std::to_string(backlog);
}

RedisHistoryStore::RedisHistoryStore(RedisOptions options)
    : impl_(std::make_unique<Impl>(options, "history in Redis")) {}

RedisHistoryStore::~RedisHistoryStore() = default;

void RedisHistoryStore::append(std::span<HistoryRecord> records) {
  if (records.empty()) return;
  std::lock_guard lock(impl_->mutex);
  // One script stores the batch and gives its ids; a cluster's node also keeps it in the
  // feed's backlog and publishes it, so that the other nodes hear of exactly what is stored.
  const bool publish = !impl_->node.empty();
  const std::string new_epoch = detail::new_history_epoch();
  std::deque<std::string> owned;  // the words the views below point into (never moved)
  std::vector<std::string_view> keys, arguments;
  keys.reserve(4 + records.size());
  arguments.reserve(2 + 5 * records.size());
  keys.insert(keys.end(), {scopes_key, detail::feed_backlog_key, last_id_key, epoch_key});
  arguments.push_back(publish ? std::string_view(impl_->backlog) : std::string_view("0"));
  arguments.push_back(new_epoch);
  for (const auto& record : records) {
    owned.push_back(stream_key(record.scope));
    keys.push_back(owned.back());
    owned.push_back(std::to_string(record.unix_ms));
    arguments.push_back(owned.back());
    arguments.push_back(record.from);
    arguments.push_back(record.text);
    arguments.push_back(record.scope);
    std::string event;
    if (publish) {
      std::string recipient;
      if (auto message = detail::ClusterEvent::of_message(impl_->node, record, recipient)) {
        event = message->encode();
      }
    }
    owned.push_back(std::move(event));
    arguments.push_back(owned.back());
  }
  RedisReply done = store_and_publish().run(*impl_, keys, arguments);
  if (done.failed() || done.kind != RedisReply::Kind::array || done.elements.size() != 2) {
    throw std::runtime_error("Redis refused the history: " + done.text);
  }
  auto id = static_cast<std::uint64_t>(done.elements[0].integer);
  for (auto& record : records) record.id = id++;
  impl_->epoch = done.elements[1].text;
}

HistoryPage RedisHistoryStore::read(const std::string& scope, const HistoryRange& range) {
  HistoryPage page;
  std::lock_guard lock(impl_->mutex);
  // The ids are a field of the entries, rising in the stream's order: the range is found
  // by reading from the end it is taken from, a batch at a time.
  const std::string key = stream_key(scope);
  const std::size_t batch = std::clamp<std::size_t>(range.limit, 64, 1024);
  const std::string count = std::to_string(batch + 1);
  std::string from = range.newest ? "+" : "-";
  for (bool done = range.limit == 0; !done;) {
    RedisReply reply = range.newest ? impl_->run({"XREVRANGE", key, from, "-", "COUNT", count})
                                    : impl_->run({"XRANGE", key, from, "+", "COUNT", count});
    if (reply.kind != RedisReply::Kind::array) {
      throw std::runtime_error("Redis history of " + scope + ": " + reply.text);
    }
    done = reply.elements.size() <= batch;
    if (!done) {  // the next batch starts at this one's extra entry, read again there
      from = reply.elements.back().elements.at(0).text;
      reply.elements.pop_back();
    }
    for (const auto& entry : reply.elements) {
      HistoryRecord record = record_of(scope, entry);
      // Past the range's far end: nothing further can be in it.
      if (range.newest ? record.id <= range.after
                       : range.before != 0 && record.id >= range.before) {
        done = true;
        break;
      }
      if (record.id <= range.after || (range.before != 0 && record.id >= range.before)) continue;
      // Stamps are the nodes' clocks: a bound on them filters, it ends no scan.
      if ((range.after_ms != 0 && record.unix_ms <= range.after_ms) ||
          (range.before_ms != 0 && record.unix_ms >= range.before_ms)) {
        continue;
      }
      page.records.push_back(std::move(record));
      if (page.records.size() == range.limit) {
        done = true;
        break;
      }
    }
  }
  if (range.newest) std::reverse(page.records.begin(), page.records.end());
  impl_->queue({"GET", removed_key});
  impl_->queue({"GET", last_id_key});
  RedisReply removed = impl_->next_reply();
  RedisReply last = impl_->next_reply();
  page.gap = range.after < number_of(removed.text);
  page.last_id = number_of(last.text);
  return page;
}

std::string RedisHistoryStore::epoch() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->epoch.empty()) {
    RedisReply known = impl_->run({"GET", epoch_key});
    // None yet: the first append makes it, and until then no id has been given.
    if (known.kind == RedisReply::Kind::string) impl_->epoch = known.text;
  }
  return impl_->epoch;
}

namespace {

// `text` matched literally in a Redis glob pattern.
std::string glob_escaped(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return escaped;
}

}  // namespace

// Two SSCANs, one per side of "@<a>|<b>": each reply is a page of the scopes that
// match, however many scopes there are (SMEMBERS would send them all at once).
std::vector<std::string> RedisHistoryStore::direct_scopes(std::string_view user) {
  const std::string key = detail::ascii_lower(user);
  const std::string name = glob_escaped(key);
  std::lock_guard lock(impl_->mutex);
  std::vector<std::string> found;
  for (const std::string& pattern : {"@" + name + "|*", "@*|" + name}) {
    std::string cursor = "0";
    do {
      RedisReply page =
          impl_->run({"SSCAN", scopes_key, cursor, "MATCH", pattern, "COUNT", "1000"});
      if (page.kind != RedisReply::Kind::array || page.elements.size() != 2 ||
          page.elements[1].kind != RedisReply::Kind::array) {
        throw std::runtime_error("Redis history's scopes: " + page.text);
      }
      cursor = page.elements[0].text;
      for (const auto& scope : page.elements[1].elements) {
        // A DM to oneself ("@a|a") matches both patterns; a name with a glob character
        // in it could match more than it should.
        if (is_dm_scope_of(scope.text, key) &&
            std::find(found.begin(), found.end(), scope.text) == found.end()) {
          found.push_back(scope.text);
        }
      }
    } while (cursor != "0");
  }
  return found;
}

std::size_t RedisHistoryStore::prune(std::chrono::system_clock::time_point cutoff) {
  const auto cutoff_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(cutoff.time_since_epoch()).count();
  std::lock_guard lock(impl_->mutex);
  RedisReply scopes = impl_->run({"SMEMBERS", scopes_key});
  std::size_t removed = 0;
  const std::string cut = std::to_string(std::max<std::int64_t>(cutoff_ms, 0));
  std::uint64_t removed_through = 0;
  for (const auto& scope : scopes.elements) {
    // The newest entry to go, for the highest id pruned (HistoryPage::gap).
    RedisReply going =
        impl_->run({"XREVRANGE", stream_key(scope.text), "(" + cut + "-0", "-", "COUNT", "1"});
    if (going.kind == RedisReply::Kind::array && !going.elements.empty()) {
      removed_through = std::max(removed_through, record_of(scope.text, going.elements[0]).id);
    }
    RedisReply trimmed = impl_->run({"XTRIM", stream_key(scope.text), "MINID", cut});
    if (trimmed.kind == RedisReply::Kind::integer)
      removed += static_cast<std::size_t>(trimmed.integer);
  }
  if (removed_through != 0) {
    const std::string through = std::to_string(removed_through);
    const std::string_view keys[] = {removed_key};
    const std::string_view arguments[] = {through};
    raise_removed().run(*impl_, keys, arguments);
  }
  return removed;
}

}  // namespace socketchat
