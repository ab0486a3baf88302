// JWTs the host's backend mints (jwt_verifier.hpp): libjwt checks the signature, with
// the algorithm pinned by the configuration; the claims are read here.
#include "accounts/jwt_verifier.hpp"

#include <array>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include "socketchat/error.hpp"
#include "util/text.hpp"

namespace socketchat::detail {
namespace {

using Json = nlohmann::json;

// A key file is a few lines: a larger one is not what it should be.
constexpr std::size_t max_jwt_key_file_bytes = 64 * 1024;
constexpr unsigned min_rsa_bits = 2048;

// The three parts of a compact JWS: header.payload.signature.
struct Parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

std::optional<Parts> split(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return Parts{token.substr(0, first), token.substr(first + 1, second - first - 1),
               token.substr(second + 1)};
}

// The bytes of base64url `text` (RFC 7515: no padding). libsodium refuses any character
// outside the alphabet and any non-zero unused bits: one byte string has one text only,
// so that no changed character of a token goes unnoticed.
std::optional<std::string> from_base64url(std::string_view text) {
  std::string bytes(text.size() * 3 / 4 + 1, '\0');
  std::size_t size = 0;
  if (text.empty() || sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()),
                                        bytes.size(), text.data(), text.size(), nullptr, &size,
                                        nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return std::nullopt;
  }
  bytes.resize(size);
  return bytes;
}

// The JSON object base64url `text` encodes, or nullopt.
std::optional<Json> json_object(std::string_view text) {
  auto bytes = from_base64url(text);
  if (!bytes) return std::nullopt;
  Json json = Json::parse(*bytes, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return json;
}

std::string_view string_of(const Json& object, const char* name) {
  auto found = object.find(name);
  if (found == object.end() || !found->is_string()) return {};
  return found->get_ref<const std::string&>();
}

// A NumericDate claim (RFC 7519: seconds, maybe with a fraction): absent is nullopt,
// anything but a number is NaN, which no comparison accepts.
std::optional<double> date_of(const Json& object, const char* name) {
  auto found = object.find(name);
  if (found == object.end()) return std::nullopt;
  return found->is_number() ? found->get<double>() : std::numeric_limits<double>::quiet_NaN();
}

bool audience_matches(const Json& claims, std::string_view wanted) {
  auto found = claims.find("aud");
  if (found == claims.end()) return false;
  if (found->is_string()) return found->get_ref<const std::string&>() == wanted;
  if (!found->is_array()) return false;
  for (const auto& item : *found) {
    if (item.is_string() && item.get_ref<const std::string&>() == wanted) return true;
  }
  return false;
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};

// Why `key` cannot verify `algorithm`, or "". Never shows the key.
std::string key_problem(jwt_alg_t algorithm, std::string_view key) {
  if (algorithm == JWT_ALG_HS256) {
    return key.size() < JwtVerifier::min_secret_bytes
               ? fmt::format("an HS256 secret must be at least {} bytes",
                             JwtVerifier::min_secret_bytes)
               : "";
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(key.data(), static_cast<int>(key.size())));
  std::unique_ptr<EVP_PKEY, KeyFree> parsed(
      bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!parsed) {
    return key.find("PRIVATE KEY") != std::string_view::npos
               ? "holds a private key: give the public key (openssl pkey -pubout)"
               : "holds no public key in PEM (-----BEGIN PUBLIC KEY-----)";
  }
  if (algorithm == JWT_ALG_RS256) {
    if (EVP_PKEY_get_base_id(parsed.get()) != EVP_PKEY_RSA)
      return "is not an RSA key, as RS256 needs";
    return EVP_PKEY_get_bits(parsed.get()) < static_cast<int>(min_rsa_bits)
               ? fmt::format("RS256 needs an RSA key of at least {} bits", min_rsa_bits)
               : "";
  }
  std::array<char, 64> group{};
  std::size_t length = 0;
  const bool p256 =
      EVP_PKEY_get_base_id(parsed.get()) == EVP_PKEY_EC &&
      EVP_PKEY_get_group_name(parsed.get(), group.data(), group.size(), &length) == 1 &&
      OBJ_sn2nid(group.data()) == NID_X9_62_prime256v1;
  ERR_clear_error();
  return p256 ? "" : "is not a P-256 (prime256v1) key, as ES256 needs";
}

jwt_alg_t algorithm_named(std::string_view name) {
  if (name == "HS256") return JWT_ALG_HS256;
  if (name == "RS256") return JWT_ALG_RS256;
  if (name == "ES256") return JWT_ALG_ES256;
  return JWT_ALG_INVAL;
}

std::string read_key_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text;
  if (in) {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (!in && !in.eof()) {
    throw config_error(fmt::format("jwt_public_key_file \"{}\": cannot be read", path));
  }
  if (text.size() > max_jwt_key_file_bytes) {
    throw config_error(fmt::format("jwt_public_key_file \"{}\": too large for a key", path));
  }
  return text;
}

}  // namespace

JwtVerifier::JwtVerifier(Settings settings)
    : settings_(std::move(settings)), algorithm_(algorithm_named(settings_.algorithm)) {
  if (sodium_init() < 0) throw config_error("libsodium could not be initialised");
  if (algorithm_ == JWT_ALG_INVAL) {
    throw config_error("jwt_algorithm must be HS256, RS256 or ES256");
  }
  if (auto problem = key_problem(static_cast<jwt_alg_t>(algorithm_), settings_.key);
      !problem.empty()) {
    throw config_error(fmt::format("the {} key {}", settings_.algorithm, problem));
  }
}

JwtVerifier::~JwtVerifier() {
  sodium_memzero(settings_.key.data(), settings_.key.size());
}

std::optional<JwtVerifier> JwtVerifier::from_options(const ServerOptions& options) {
  if (options.jwt_algorithm.empty()) return std::nullopt;
  Settings settings{.algorithm = options.jwt_algorithm,
                    .key = options.jwt_secret,
                    .audience = options.jwt_audience,
                    .issuer = options.jwt_issuer};
  const auto algorithm = algorithm_named(options.jwt_algorithm);
  if (algorithm != JWT_ALG_HS256 && algorithm != JWT_ALG_INVAL) {
    settings.key = read_key_file(options.jwt_public_key_file);
    if (auto problem = key_problem(algorithm, settings.key); !problem.empty()) {
      throw config_error(
          fmt::format("jwt_public_key_file \"{}\": {}", options.jwt_public_key_file, problem));
    }
  }
  return JwtVerifier(std::move(settings));
}

bool JwtVerifier::looks_like_jwt(std::string_view token) {
  if (token.size() > max_token_bytes || token.starts_with("v1.")) return false;
  auto parts = split(token);
  if (!parts) return false;
  auto header = json_object(parts->header);
  return header && header->contains("alg");
}

std::optional<std::string> JwtVerifier::verify(std::string_view token,
                                               std::chrono::system_clock::time_point now) const {
  if (token.size() > max_token_bytes) return std::nullopt;
  auto parts = split(token);
  if (!parts) return std::nullopt;
  auto header = json_object(parts->header);
  auto claims = json_object(parts->payload);
  auto signature = from_base64url(parts->signature);
  // The configured algorithm only; and no extension this does not know of (RFC 7515 4.1.11).
  if (!header || !claims || !signature || string_of(*header, "alg") != settings_.algorithm ||
      header->contains("crit")) {
    return std::nullopt;
  }
  const std::string_view signed_part = token.substr(0, token.rfind('.'));
  if (!signature_valid(std::string(token), signed_part, *signature)) return std::nullopt;

  const double seconds = std::chrono::duration<double>(now.time_since_epoch()).count();
  auto expires = date_of(*claims, "exp");
  auto not_before = date_of(*claims, "nbf");
  auto issued = date_of(*claims, "iat");
  if (!expires || !(seconds < *expires)) return std::nullopt;  // required
  if (not_before && !(*not_before <= seconds)) return std::nullopt;
  if (issued && !(*issued <= seconds)) return std::nullopt;
  if (!settings_.issuer.empty() && string_of(*claims, "iss") != settings_.issuer) {
    return std::nullopt;
  }
  if (!settings_.audience.empty() && !audience_matches(*claims, settings_.audience)) {
    return std::nullopt;
  }
  const std::string_view subject = string_of(*claims, "sub");
  if (!is_valid_name(subject)) return std::nullopt;
  return std::string(subject);
}

bool JwtVerifier::signature_valid(const std::string& token, std::string_view signed_part,
                                  const std::string& signature) const {
  const auto* key = reinterpret_cast<const unsigned char*>(settings_.key.data());
  if (algorithm_ == JWT_ALG_HS256) {
    // In constant time, before libjwt sees it: its own comparison is not, before
    // 1.15.3 (CVE-2024-25189) and where no distribution has patched it.
    std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key, settings_.key.size());
    crypto_auth_hmacsha256_update(
        &state, reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
    crypto_auth_hmacsha256_final(&state, mac.data());
    sodium_memzero(&state, sizeof state);
    if (signature.size() != mac.size() ||
        sodium_memcmp(mac.data(), signature.data(), mac.size()) != 0) {
      return false;
    }
  }
  // Always with a key: libjwt 1.10 takes "alg": "none" without one. And its algorithm
  // must be the configured one, whatever the header said.
  jwt_t* decoded = nullptr;
  const int failed =
      jwt_decode(&decoded, token.c_str(), key, static_cast<int>(settings_.key.size()));
  std::unique_ptr<jwt_t, JwtFree> owned(decoded);
  ERR_clear_error();  // a failed check leaves OpenSSL's errors on this I/O thread
  return failed == 0 && owned && jwt_get_alg(owned.get()) == static_cast<jwt_alg_t>(algorithm_);
}

}  // namespace socketchat::detail
