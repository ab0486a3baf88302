// JwtVerifier: tokens the host mints, minted here with libjwt itself (HS256 with a
// secret; RS256 and ES256 with key pairs made here), and forged every way that matters:
// alg none, key confusion, the other algorithm, a changed byte, bad claims.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "accounts/jwt_verifier.hpp"
#include "socketchat/error.hpp"
#include "support/jwt_mint.hpp"
#include "support/temp_dir.hpp"

using namespace socketchat;
using namespace socketchat::detail;
using namespace socketchat::test;
using std::chrono::seconds;

namespace {

const std::string secret = "a-shared-secret-of-at-least-32-bytes!";
const auto now = std::chrono::system_clock::time_point{seconds{1'700'000'000}};
constexpr long now_unix = 1'700'000'000;

// A key pair, as PEM: the private key signs, the public key verifies.
struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

std::string pem_of(EVP_PKEY* key, bool private_key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  REQUIRE(bio);
  REQUIRE((private_key
               ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
               : PEM_write_bio_PUBKEY(bio.get(), key)) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

// "RSA" with 2048 bits, or "EC" on P-256.
KeyPair make_key_pair(const char* type) {
  EVP_PKEY* raw = std::string(type) == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", 2048)
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  REQUIRE(raw != nullptr);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, EVP_PKEY_free);
  return {pem_of(key.get(), true), pem_of(key.get(), false)};
}

const KeyPair& rsa() {
  static const KeyPair pair = make_key_pair("RSA");
  return pair;
}

const KeyPair& ec() {
  static const KeyPair pair = make_key_pair("EC");
  return pair;
}

// Claims for `sub` that are valid now, with `more` (JSON members) added.
std::string claims(const std::string& sub = "alice", const std::string& more = "") {
  return R"({"sub":")" + sub + R"(","exp":)" + std::to_string(now_unix + 300) +
         (more.empty() ? "" : "," + more) + "}";
}

std::string hs256(const std::string& claims_json = claims()) {
  return mint_jwt(JWT_ALG_HS256, secret, claims_json);
}

JwtVerifier hs256_verifier(std::string audience = {}, std::string issuer = {}) {
  return JwtVerifier({.algorithm = "HS256",
                      .key = secret,
                      .audience = std::move(audience),
                      .issuer = std::move(issuer)});
}

JwtVerifier rs256_verifier() {
  return JwtVerifier({.algorithm = "RS256", .key = rsa().public_pem});
}

}  // namespace

TEST_CASE("a valid token gives its sub, under each algorithm") {
  CHECK(hs256_verifier().verify(hs256(), now) == "alice");
  CHECK(rs256_verifier().verify(mint_jwt(JWT_ALG_RS256, rsa().private_pem, claims("Bob_2")), now) ==
        "Bob_2");
  const JwtVerifier es256({.algorithm = "ES256", .key = ec().public_pem});
  CHECK(es256.verify(mint_jwt(JWT_ALG_ES256, ec().private_pem, claims("carol")), now) == "carol");
  // A NumericDate may have a fraction; a claim nobody asked about is ignored.
  CHECK(hs256_verifier().verify(
            hs256(R"({"sub":"dave","exp":)" + std::to_string(now_unix) + R"(.5,"role":"x"})"),
            now) == "dave");
}

TEST_CASE("exp is required and must be after now; nbf and iat must not be after now") {
  const auto verifier = hs256_verifier();
  const auto at = [](long offset) { return std::to_string(now_unix + offset); };
  CHECK_FALSE(verifier.verify(hs256(R"({"sub":"alice"})"), now));                      // none
  CHECK_FALSE(verifier.verify(hs256(R"({"sub":"alice","exp":)" + at(0) + "}"), now));  // now
  CHECK_FALSE(verifier.verify(hs256(R"({"sub":"alice","exp":)" + at(-1) + "}"), now));
  CHECK_FALSE(verifier.verify(hs256(R"({"sub":"alice","exp":")" + at(300) + "\"}"), now));
  CHECK_FALSE(verifier.verify(hs256(claims("alice", R"("nbf":)" + at(1))), now));
  CHECK(verifier.verify(hs256(claims("alice", R"("nbf":)" + at(0))), now));
  CHECK_FALSE(verifier.verify(hs256(claims("alice", R"("iat":)" + at(1))), now));
  CHECK(verifier.verify(hs256(claims("alice", R"("iat":)" + at(-60))), now));
  CHECK_FALSE(verifier.verify(hs256(claims("alice", R"("iat":"yesterday")")), now));
  // Valid until its exp, not after.
  CHECK(verifier.verify(hs256(), now + seconds{299}));
  CHECK_FALSE(verifier.verify(hs256(), now + seconds{300}));
}

TEST_CASE("aud and iss are checked when configured, and only then") {
  const auto both = hs256_verifier("chat.example.org", "https://app.example.org");
  const std::string iss = R"("iss":"https://app.example.org")";
  CHECK(both.verify(hs256(claims("alice", R"("aud":"chat.example.org",)" + iss)), now));
  CHECK(both.verify(hs256(claims("alice", R"("aud":["other","chat.example.org"],)" + iss)), now));
  CHECK_FALSE(both.verify(hs256(claims("alice", R"("aud":"other",)" + iss)), now));
  CHECK_FALSE(both.verify(hs256(claims("alice", R"("aud":["other"],)" + iss)), now));
  CHECK_FALSE(both.verify(hs256(claims("alice", iss)), now));  // no aud
  CHECK_FALSE(both.verify(
      hs256(claims("alice", R"("aud":"chat.example.org","iss":"https://evil.example")")), now));
  CHECK_FALSE(both.verify(hs256(claims("alice", R"("aud":"chat.example.org")")), now));  // no iss
  CHECK(hs256_verifier().verify(hs256(claims("alice", R"("aud":"other","iss":"x")")), now));
}

TEST_CASE("sub must be a valid name") {
  const auto verifier = hs256_verifier();
  for (const std::string& sub :
       {std::string(), std::string("has space"), std::string("-dash"), std::string(33, 'a'),
        std::string("caf\\u00e9"), std::string("a\\nb")}) {
    CAPTURE(sub);
    CHECK_FALSE(verifier.verify(hs256(claims(sub)), now));
  }
  CHECK_FALSE(verifier.verify(hs256(R"({"exp":)" + std::to_string(now_unix + 300) + "}"), now));
  CHECK_FALSE(
      verifier.verify(hs256(R"({"sub":42,"exp":)" + std::to_string(now_unix + 300) + "}"), now));
  CHECK(verifier.verify(hs256(claims(std::string(32, 'a'))), now));
}

TEST_CASE("alg none is refused, though libjwt takes it when given no key") {
  const std::string token =
      base64url(R"({"alg":"none","typ":"JWT"})") + "." + base64url(claims()) + ".";
  CHECK(JwtVerifier::looks_like_jwt(token));
  CHECK_FALSE(hs256_verifier().verify(token, now));
  CHECK_FALSE(rs256_verifier().verify(token, now));
  // With something where the signature goes, too.
  CHECK_FALSE(hs256_verifier().verify(token + base64url(std::string(32, 'x')), now));
  // What the verifier guards against: libjwt 1.10 alone, without a key, accepts it.
  jwt_t* raw = nullptr;
  const int failed = jwt_decode(&raw, token.c_str(), nullptr, 0);
  std::unique_ptr<jwt_t, decltype(&jwt_free)> decoded(raw, jwt_free);
  CHECK(failed == 0);
}

TEST_CASE("HS256 signed with the public key as its secret is refused when RS256 is configured") {
  const std::string forged = mint_jwt(JWT_ALG_HS256, rsa().public_pem, claims());
  CHECK_FALSE(rs256_verifier().verify(forged, now));
  // What the verifier guards against: libjwt alone, handed the public key, accepts it.
  jwt_t* raw = nullptr;
  const int failed = jwt_decode(&raw, forged.c_str(),
                                reinterpret_cast<const unsigned char*>(rsa().public_pem.data()),
                                static_cast<int>(rsa().public_pem.size()));
  std::unique_ptr<jwt_t, decltype(&jwt_free)> decoded(raw, jwt_free);
  CHECK(failed == 0);
}

TEST_CASE("only the configured algorithm is accepted") {
  const std::string rs = mint_jwt(JWT_ALG_RS256, rsa().private_pem, claims());
  const std::string es = mint_jwt(JWT_ALG_ES256, ec().private_pem, claims());
  CHECK_FALSE(hs256_verifier().verify(rs, now));
  CHECK_FALSE(hs256_verifier().verify(es, now));
  CHECK_FALSE(rs256_verifier().verify(es, now));
  CHECK_FALSE(rs256_verifier().verify(hs256(), now));
  const JwtVerifier es256({.algorithm = "ES256", .key = ec().public_pem});
  CHECK_FALSE(es256.verify(rs, now));
  CHECK_FALSE(es256.verify(mint_jwt(JWT_ALG_HS256, ec().public_pem, claims()), now));
  // Another key, the same algorithm.
  CHECK_FALSE(hs256_verifier().verify(mint_jwt(JWT_ALG_HS256, secret + "x", claims()), now));
  CHECK_FALSE(rs256_verifier().verify(
      mint_jwt(JWT_ALG_RS256, make_key_pair("RSA").private_pem, claims()), now));
  // HS384 and the like, even with the right secret.
  CHECK_FALSE(hs256_verifier().verify(mint_jwt(JWT_ALG_HS384, secret, claims()), now));
}

TEST_CASE("a header extension it does not know of (crit) is refused") {
  jwt_t* raw = nullptr;
  REQUIRE(jwt_new(&raw) == 0);
  std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, jwt_free);
  REQUIRE(jwt_add_grants_json(jwt.get(), claims().c_str()) == 0);
  REQUIRE(jwt_add_headers_json(jwt.get(), R"({"crit":["exp"]})") == 0);
  REQUIRE(jwt_set_alg(jwt.get(), JWT_ALG_HS256,
                      reinterpret_cast<const unsigned char*>(secret.data()),
                      static_cast<int>(secret.size())) == 0);
  char* text = jwt_encode_str(jwt.get());
  REQUIRE(text != nullptr);
  const std::string token(text);
  std::free(text);
  CHECK_FALSE(hs256_verifier().verify(token, now));
}

TEST_CASE("every changed byte of a valid token is refused") {
  struct Case {
    JwtVerifier verifier;
    std::string token;
  };
  const std::vector<Case> cases{
      {hs256_verifier(), hs256()},
      {rs256_verifier(), mint_jwt(JWT_ALG_RS256, rsa().private_pem, claims())},
      {JwtVerifier({.algorithm = "ES256", .key = ec().public_pem}),
       mint_jwt(JWT_ALG_ES256, ec().private_pem, claims())}};
  for (const auto& [verifier, token] : cases) {
    REQUIRE(verifier.verify(token, now));
    for (std::size_t i = 0; i < token.size(); ++i) {
      for (char replacement : {static_cast<char>(token[i] ^ 0x01),
                               static_cast<char>(token[i] ^ 0x20), token[i] == 'A' ? 'B' : 'A'}) {
        std::string changed = token;
        changed[i] = replacement;
        CAPTURE(i);
        CHECK_FALSE(verifier.verify(changed, now));
      }
    }
    CHECK_FALSE(verifier.verify(token.substr(0, token.size() - 1), now));
    CHECK_FALSE(verifier.verify(token + "A", now));
    CHECK_FALSE(verifier.verify(token + ".", now));
  }
}

TEST_CASE("a token over 8 KiB is refused before parsing; one under it is fine") {
  const auto verifier = hs256_verifier();
  const auto padded = [](std::size_t bytes) {
    return hs256(claims("alice", R"("pad":")" + std::string(bytes, 'p') + "\""));
  };
  const std::string under = padded(5000);
  REQUIRE(under.size() < JwtVerifier::max_token_bytes);
  CHECK(verifier.verify(under, now));
  const std::string over = padded(6500);
  REQUIRE(over.size() > JwtVerifier::max_token_bytes);
  CHECK_FALSE(verifier.verify(over, now));
  CHECK_FALSE(JwtVerifier::looks_like_jwt(over));
}

TEST_CASE("looks_like_jwt tells a JWT from a session token cheaply") {
  CHECK(JwtVerifier::looks_like_jwt(hs256()));
  CHECK(JwtVerifier::looks_like_jwt(mint_jwt(JWT_ALG_RS256, rsa().private_pem, claims())));
  CHECK_FALSE(JwtVerifier::looks_like_jwt("v1.YWxpY2U.0.1700000300.AAAA.BBBB"));
  CHECK_FALSE(JwtVerifier::looks_like_jwt("a.b.c"));
  CHECK_FALSE(JwtVerifier::looks_like_jwt(base64url(R"({"typ":"JWT"})") + ".e30.x"));  // no alg
  CHECK_FALSE(JwtVerifier::looks_like_jwt(base64url(R"(["alg"])") + ".e30.x"));
  CHECK_FALSE(JwtVerifier::looks_like_jwt("whatever"));
  CHECK_FALSE(JwtVerifier::looks_like_jwt(""));
}

TEST_CASE("a key that does not fit the algorithm is a config_error that never shows it") {
  const auto refused = [](const std::string& algorithm, const std::string& key) {
    try {
      JwtVerifier verifier({.algorithm = algorithm, .key = key});
      FAIL("accepted for " << algorithm);
    } catch (const config_error& e) {
      const std::string what = e.what();
      CHECK(what.find(key) == std::string::npos);
      return what;
    }
    return std::string();
  };
  CHECK(refused("HS256", std::string(31, 's')).find("32 bytes") != std::string::npos);
  CHECK(refused("RS256", ec().public_pem).find("RSA") != std::string::npos);
  CHECK(refused("ES256", rsa().public_pem).find("P-256") != std::string::npos);
  CHECK(refused("RS256", rsa().private_pem).find("private key") != std::string::npos);
  CHECK(refused("RS256", secret).find("no public key") != std::string::npos);
  CHECK(refused("none", secret).find("HS256, RS256 or ES256") != std::string::npos);
  CHECK(refused("hs256", secret).find("HS256, RS256 or ES256") != std::string::npos);
  {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> small(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", 1024), EVP_PKEY_free);
    REQUIRE(small);
    CHECK(refused("RS256", pem_of(small.get(), false)).find("2048") != std::string::npos);
  }
}

TEST_CASE("from_options: none when off; the public key file is read and checked") {
  ServerOptions options;
  CHECK_FALSE(JwtVerifier::from_options(options));

  test::TempDir dir("socketchat-jwt");
  const auto public_key = (dir.path / "public.pem").string();
  const auto private_key = (dir.path / "private.pem").string();
  std::ofstream(public_key) << rsa().public_pem;
  std::ofstream(private_key) << rsa().private_pem;

  options.jwt_algorithm = "RS256";
  options.jwt_public_key_file = public_key;
  auto verifier = JwtVerifier::from_options(options);
  REQUIRE(verifier);
  CHECK(verifier->verify(mint_jwt(JWT_ALG_RS256, rsa().private_pem, claims()), now) == "alice");

  options.jwt_public_key_file = private_key;
  CHECK_THROWS_WITH_AS(JwtVerifier::from_options(options),
                       doctest::Contains("private.pem\": holds a private key"), config_error);
  options.jwt_public_key_file = (dir.path / "missing.pem").string();
  CHECK_THROWS_WITH_AS(JwtVerifier::from_options(options),
                       doctest::Contains("missing.pem\": cannot be read"), config_error);
  options.jwt_algorithm = "ES256";
  options.jwt_public_key_file = public_key;
  CHECK_THROWS_WITH_AS(JwtVerifier::from_options(options), doctest::Contains("P-256"),
                       config_error);

  options = ServerOptions{};
  options.jwt_algorithm = "HS256";
  options.jwt_secret = secret;
  options.jwt_audience = "chat";
  verifier = JwtVerifier::from_options(options);
  REQUIRE(verifier);
  CHECK(verifier->verify(hs256(claims("alice", R"("aud":"chat")")), now) == "alice");
  CHECK_FALSE(verifier->verify(hs256(), now));
}

TEST_CASE("ServerOptions::validate pins the key to the algorithm, and never shows a secret") {
  const auto problem = [](const ServerOptions& options) -> std::string {
    try {
      options.validate();
      return "";
    } catch (const config_error& e) {
      CHECK(std::string(e.what()).find("s3cr3t") == std::string::npos);
      return e.what();
    }
  };
  ServerOptions options;
  options.jwt_secret = "s3cr3t";  // unused while jwt_algorithm is empty
  options.jwt_public_key_file = "unused.pem";
  CHECK(problem(options).empty());

  options.jwt_algorithm = "HS256";
  options.jwt_public_key_file.clear();
  CHECK(problem(options).find("at least 32 bytes") != std::string::npos);
  options.jwt_secret = "s3cr3t" + std::string(26, 'x');
  CHECK(problem(options).empty());
  options.jwt_public_key_file = "public.pem";
  CHECK(problem(options).find("not jwt_public_key_file") != std::string::npos);

  options.jwt_algorithm = "RS256";
  CHECK(problem(options).find("not jwt_secret") != std::string::npos);
  options.jwt_secret.clear();
  CHECK(problem(options).empty());
  options.jwt_public_key_file.clear();
  CHECK(problem(options).find("needs jwt_public_key_file") != std::string::npos);

  options.jwt_algorithm = "none";
  CHECK(problem(options).find("HS256, RS256, ES256 or empty") != std::string::npos);
  options.jwt_algorithm = "ES256";
  options.jwt_public_key_file = "public.pem";
  options.accounts = ServerOptions::Accounts::off;
  CHECK(problem(options).find("accounts are off") != std::string::npos);
}
