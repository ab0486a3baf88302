#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "socketchat/options.hpp"

namespace socketchat::detail {

// Tokens the embedding application mints (PROTOCOL.md and EMBEDDING.md, Accounts): a
// JWT (RFC 7519) signed by the host's backend, whose `sub` is the name to log in as.
//
// The algorithm is the configuration's, never the token's: a token whose header names
// another one ("none"; HS256 when a public key is configured, the key-confusion attack;
// RS256 when only a secret is) is refused before its signature is looked at.
class JwtVerifier {
 public:
  // The longest token looked at: a longer one is refused before any parsing.
  static constexpr std::size_t max_token_bytes = 8 * 1024;
  // The shortest HS256 secret: as many bytes as the hash gives.
  static constexpr std::size_t min_secret_bytes = 32;

  struct Settings {
    std::string algorithm;   // "HS256", "RS256" or "ES256"
    std::string key;         // HS256: the shared secret; RS256, ES256: the public key, PEM
    std::string audience{};  // empty: `aud` is not checked
    std::string issuer{};    // empty: `iss` is not checked
  };

  // Throws config_error for an algorithm it does not know or a key that does not fit it:
  // a secret shorter than min_secret_bytes for HS256; for RS256 anything but an RSA
  // public key of at least 2048 bits, for ES256 anything but a P-256 public key. The
  // message never shows the key.
  explicit JwtVerifier(Settings settings);
  ~JwtVerifier();  // wipes the key
  JwtVerifier(const JwtVerifier&) = default;
  JwtVerifier& operator=(const JwtVerifier&) = default;
  JwtVerifier(JwtVerifier&&) = default;
  JwtVerifier& operator=(JwtVerifier&&) = default;

  // The verifier `options` asks for: none when jwt_algorithm is empty. Reads
  // jwt_public_key_file; throws config_error, naming the file, when it cannot be read or
  // holds no public key of the kind the algorithm needs.
  static std::optional<JwtVerifier> from_options(const ServerOptions& options);

  // True when `token` is shaped like a JWT: three base64url parts, the first a JSON
  // object with "alg". Cheap, and says nothing of whether it is valid. A session token
  // ("v1.") never is.
  static bool looks_like_jwt(std::string_view token);

  // The `sub` of `token` when it is valid at `now`: signed with the configured algorithm
  // and key, `exp` after now, `nbf` and `iat` (when present) not after now, `aud` and
  // `iss` as configured, `sub` a valid name (is_valid_name). Else nullopt.
  std::optional<std::string> verify(std::string_view token,
                                    std::chrono::system_clock::time_point now) const;

 private:
  bool signature_valid(const std::string& token, std::string_view signed_part,
                       const std::string& signature) const;

  Settings settings_;
  int algorithm_ = 0;  // libjwt's jwt_alg_t
};

}  // namespace socketchat::detail
