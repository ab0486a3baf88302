// Accounts as Redis hashes (redis_account_store.hpp). Each change is a script that
// checks the account exists and changes it in one step, so two servers never race.
#include "socketchat/redis_account_store.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <string>

#include "cluster/redis_blocking.hpp"
#include "cluster/redis_reply.hpp"
#include "util/text.hpp"

namespace socketchat {

using detail::RedisReply;

namespace {

constexpr std::string_view index_key = "sc:accounts";  // every account's lower-case name

std::string account_key(std::string_view name) {
  return "sc:account:" + detail::ascii_lower(name);
}

// KEYS: the account, the index. ARGV: name, hash, operator, created, generation, lc.
constexpr std::string_view create_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'hash', ARGV[2], 'operator', ARGV[3],
           'created', ARGV[4], 'generation', ARGV[5])
redis.call('SADD', KEYS[2], ARGV[6])
return 1
)lua";

// KEYS: the account. ARGV: hash, "1" to raise the generation.
constexpr std::string_view password_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'hash', ARGV[1])
if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], 'generation', 1) end
return 1
)lua";

// KEYS: the account. ARGV: field, value ("" to raise the generation instead).
constexpr std::string_view field_script = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '' then redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
)lua";

// KEYS: the account, the index. ARGV: lc.
constexpr std::string_view remove_script = R"lua(
local removed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return removed
)lua";

// HGETALL's reply as an Account; nothing for an empty one (no such account).
std::optional<Account> account_of(const RedisReply& reply) {
  if (reply.kind != RedisReply::Kind::array) {
    throw std::runtime_error("Redis account: " + reply.text);
  }
  if (reply.elements.empty()) return std::nullopt;
  Account account;
  for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    const std::string& field = reply.elements[i].text;
    const std::string& value = reply.elements[i + 1].text;
    if (field == "name") account.name = value;
    if (field == "hash") account.password_hash = value;
    if (field == "operator") account.is_operator = value == "1";
    if (field == "created") account.created_unix_ms = std::stoll(value);
    if (field == "generation") account.token_generation = std::stoull(value);
  }
  return account;
}

bool changed(const RedisReply& reply) {
  if (reply.kind != RedisReply::Kind::integer) {
    throw std::runtime_error("Redis account: " + reply.text);
  }
  return reply.integer == 1;
}

}  // namespace

struct RedisAccountStore::Impl : detail::RedisBlocking {
  using RedisBlocking::RedisBlocking;
};

RedisAccountStore::RedisAccountStore(RedisOptions options)
    : impl_(std::make_unique<Impl>(options, "accounts in Redis")) {}

RedisAccountStore::~RedisAccountStore() = default;

std::optional<Account> RedisAccountStore::find(std::string_view name) {
  std::lock_guard lock(impl_->mutex);
  return account_of(impl_->run({"HGETALL", account_key(name)}));
}

bool RedisAccountStore::create(const Account& account) {
  const std::string key = account_key(account.name), lower = detail::ascii_lower(account.name);
  const std::string created = std::to_string(account.created_unix_ms);
  const std::string generation = std::to_string(account.token_generation);
  std::lock_guard lock(impl_->mutex);
  return changed(
      impl_->run({"EVAL", create_script, "2", key, index_key, account.name, account.password_hash,
                  account.is_operator ? "1" : "0", created, generation, lower}));
}

bool RedisAccountStore::set_password_hash(std::string_view name, std::string_view password_hash,
                                          bool revoke_tokens) {
  const std::string key = account_key(name);
  std::lock_guard lock(impl_->mutex);
  return changed(
      impl_->run({"EVAL", password_script, "1", key, password_hash, revoke_tokens ? "1" : "0"}));
}

bool RedisAccountStore::set_operator(std::string_view name, bool is_operator) {
  const std::string key = account_key(name);
  std::lock_guard lock(impl_->mutex);
  return changed(impl_->run({"EVAL", field_script, "1", key, "operator", is_operator ? "1" : "0"}));
}

bool RedisAccountStore::revoke_tokens(std::string_view name) {
  const std::string key = account_key(name);
  std::lock_guard lock(impl_->mutex);
  return changed(impl_->run({"EVAL", field_script, "1", key, "generation", ""}));
}

bool RedisAccountStore::remove(std::string_view name) {
  const std::string key = account_key(name), lower = detail::ascii_lower(name);
  std::lock_guard lock(impl_->mutex);
  return changed(impl_->run({"EVAL", remove_script, "2", key, index_key, lower}));
}

std::vector<Account> RedisAccountStore::list() {
  std::lock_guard lock(impl_->mutex);
  RedisReply names = impl_->run({"SMEMBERS", index_key});
  std::vector<std::string> lower;
  for (const auto& name : names.elements) lower.push_back(name.text);
  std::sort(lower.begin(), lower.end());
  for (const auto& name : lower) impl_->queue({"HGETALL", "sc:account:" + name});
  std::vector<Account> accounts;
  accounts.reserve(lower.size());
  for (std::size_t i = 0; i < lower.size(); ++i) {
    if (auto account = account_of(impl_->next_reply())) accounts.push_back(std::move(*account));
  }
  return accounts;
}

}  // namespace socketchat
