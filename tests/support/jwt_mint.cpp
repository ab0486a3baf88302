#include "support/jwt_mint.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>

#include <sodium.h>

namespace socketchat::test {

std::string mint_jwt(jwt_alg_t algorithm, const std::string& key, const std::string& claims) {
  jwt_t* raw = nullptr;
  REQUIRE(jwt_new(&raw) == 0);
  std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, jwt_free);
  REQUIRE(jwt_add_grants_json(jwt.get(), claims.c_str()) == 0);
  REQUIRE(jwt_set_alg(jwt.get(), algorithm, reinterpret_cast<const unsigned char*>(key.data()),
                      static_cast<int>(key.size())) == 0);
  char* text = jwt_encode_str(jwt.get());
  REQUIRE(text != nullptr);
  std::string token(text);
  std::free(text);
  return token;
}

std::string base64url(const std::string& bytes) {
  std::string text(
      sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(text.data(), text.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  text.resize(text.find('\0'));
  return text;
}

}  // namespace socketchat::test
