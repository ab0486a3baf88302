#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace socketchat::detail {

// What a valid session token says. The caller still checks `generation` against the
// account's token_generation (a password change or a revocation raises it).
struct TokenClaims {
  std::string account;
  std::uint64_t generation = 0;
  std::chrono::system_clock::time_point expires;
};

// Session tokens: a login with a password hands one out, and a reconnect presents it
// instead of the password, so that it costs an HMAC rather than an Argon2id hash.
//
// A token is printable ASCII without spaces:
//   v1.<account>.<generation>.<expires>.<id>.<mac>
// <account>, <id> (16 random bytes: no two tokens alike) and <mac> are base64url
// without padding; <generation> and <expires> (Unix seconds) are decimal. <mac> is
// HMAC-SHA256 over everything before its dot. Nothing is stored on the server: the
// keys are what makes a token valid.
class SessionTokens {
 public:
  // The longest token looked at: a longer one is refused before any work.
  static constexpr std::size_t max_token_bytes = 512;
  static constexpr std::size_t key_bytes = 32;

  // keys[0] signs; every key verifies, so that the key before a rotation still
  // works until its tokens expire. Each key is 32 raw bytes; throws
  // std::invalid_argument for none or one of another size.
  explicit SessionTokens(std::vector<std::string> keys);
  ~SessionTokens();  // wipes the keys
  SessionTokens(const SessionTokens&) = default;
  SessionTokens& operator=(const SessionTokens&) = default;
  SessionTokens(SessionTokens&&) = default;
  SessionTokens& operator=(SessionTokens&&) = default;

  // A token for `account` that expires `lifetime` after `now` (whole seconds, rounded
  // down). Throws std::invalid_argument for an account name that is not valid
  // (is_valid_name) or a lifetime that is not positive.
  std::string mint(std::string_view account, std::uint64_t generation,
                   std::chrono::seconds lifetime, std::chrono::system_clock::time_point now) const;
  // The claims of `token`, or nullopt for anything wrong with it: too long, malformed,
  // not signed by one of the keys, expired at `now`, or naming an invalid account.
  std::optional<TokenClaims> verify(std::string_view token,
                                    std::chrono::system_clock::time_point now) const;

  // 32 random bytes: a fresh key.
  static std::string random_key();
  // The keys in `file`: one a line, in standard base64 (RFC 4648 section 4, the
  // output of `openssl rand -base64 32`; the trailing '=' may be left out), the first
  // line signing. Blank lines and lines starting with '#' are skipped. When `file`
  // does not exist, it is created, readable by its owner only, with one fresh key.
  // Throws std::runtime_error, naming the file, when it cannot be read or created,
  // holds no key, or has a line that is not a 32-byte key.
  static std::vector<std::string> load_or_create_keys(const std::filesystem::path& file);

 private:
  std::vector<std::string> keys_;
};

}  // namespace socketchat::detail
