// EVALSHA, then EVAL when Redis does not know the script (redis_script.hpp).
#include "cluster/redis_script.hpp"

#include <memory>

#include <fmt/format.h>
#include <openssl/sha.h>

namespace socketchat::detail {

RedisScript::RedisScript(std::string text) : text_(std::move(text)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text_.data()), text_.size(), digest);
  for (unsigned char byte : digest) sha1_ += fmt::format("{:02x}", byte);
}

namespace {

// EVALSHA sha numkeys key... arg...; the same words with the text for EVAL.
std::vector<std::string> evalsha_words(const std::string& sha1,
                                       std::span<const std::string_view> keys,
                                       std::span<const std::string_view> arguments) {
  std::vector<std::string> words;
  words.reserve(3 + keys.size() + arguments.size());
  words.push_back("EVALSHA");
  words.push_back(sha1);
  words.push_back(std::to_string(keys.size()));
  for (auto key : keys) words.emplace_back(key);
  for (auto argument : arguments) words.emplace_back(argument);
  return words;
}

std::vector<std::string_view> views(const std::vector<std::string>& owned) {
  return std::vector<std::string_view>(owned.begin(), owned.end());
}

bool unknown_script(const RedisReply& reply) {
  return reply.kind == RedisReply::Kind::error && reply.text.starts_with("NOSCRIPT");
}

}  // namespace

bool RedisScript::run(RedisConnection& connection, std::span<const std::string_view> keys,
                      std::span<const std::string_view> arguments,
                      RedisConnection::ReplyHandler reply) const {
  auto words = std::make_shared<std::vector<std::string>>(evalsha_words(sha1_, keys, arguments));
  auto first = views(*words);
  return connection.command(first, [&connection, words, text = &text_,
                                    reply = std::move(reply)](RedisReply r) mutable {
    if (!unknown_script(r)) return reply(std::move(r));
    (*words)[0] = "EVAL";
    (*words)[1] = *text;
    auto again = views(*words);
    auto answer = std::make_shared<RedisConnection::ReplyHandler>(std::move(reply));
    if (!connection.command(again, [answer](RedisReply second) { (*answer)(std::move(second)); })) {
      (*answer)(RedisReply{});  // the connection ended meanwhile: lost
    }
  });
}

RedisReply RedisScript::run(RedisBlocking& connection, std::span<const std::string_view> keys,
                            std::span<const std::string_view> arguments) const {
  auto words = evalsha_words(sha1_, keys, arguments);
  connection.queue(views(words));
  RedisReply reply = connection.next_reply();
  if (!unknown_script(reply)) return reply;
  // Redis does not know it (restarted, say): a script it did not run changed nothing.
  words[0] = "EVAL";
  words[1] = text_;
  connection.queue(views(words));
  return connection.next_reply();
}

}  // namespace socketchat::detail
