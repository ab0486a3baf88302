#pragma once

// JWTs as the host's backend mints them (with libjwt), and the base64url that forged
// ones are spelled in: the tests' side of TOKEN with a JWT.

#include <string>

#include <jwt.h>

namespace socketchat::test {

// A token with `claims` (a JSON object), signed with `algorithm` and `key` (a secret for
// HS256, a PEM private key otherwise).
std::string mint_jwt(jwt_alg_t algorithm, const std::string& key, const std::string& claims);

// `bytes` in base64url without padding, as JWTs spell their parts.
std::string base64url(const std::string& bytes);

}  // namespace socketchat::test
