// Argon2id through libsodium's crypto_pwhash: PHC strings, constant-time checks.
#include "accounts/password_hash.hpp"

#include <mutex>

#include <sodium.h>

namespace socketchat::detail {
namespace {

bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;  // thread-safe, once
  return ready;
}

std::size_t memory_bytes(const PasswordCost& cost) {
  return static_cast<std::size_t>(cost.memory_kib) * 1024;
}

}  // namespace

std::optional<std::string> hash_password(std::string_view password, const PasswordCost& cost) {
  if (!sodium_ready() || password.size() > max_password_bytes) return std::nullopt;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.passes, memory_bytes(cost),
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return std::nullopt;
  }
  return std::string(out);
}

bool verify_password(std::string_view phc, std::string_view password) {
  if (!sodium_ready() || password.size() > max_password_bytes) return false;
  if (phc.size() >= crypto_pwhash_STRBYTES) return false;
  char stored[crypto_pwhash_STRBYTES] = {};
  phc.copy(stored, phc.size());
  return crypto_pwhash_str_verify(stored, password.data(), password.size()) == 0;
}

bool needs_rehash(std::string_view phc, const PasswordCost& cost) {
  if (!sodium_ready() || phc.size() >= crypto_pwhash_STRBYTES) return true;
  char stored[crypto_pwhash_STRBYTES] = {};
  phc.copy(stored, phc.size());
  // 1: another cost; -1: not an Argon2id string this libsodium knows. Either way, rehash.
  return crypto_pwhash_str_needs_rehash(stored, cost.passes, memory_bytes(cost)) != 0;
}

bool verify_nothing(std::string_view password, const PasswordCost& cost) {
  static std::mutex mutex;
  static PasswordCost made_for{0, 0};
  static std::string dummy;
  std::string phc;
  {
    std::lock_guard lock(mutex);
    if (made_for.passes != cost.passes || made_for.memory_kib != cost.memory_kib) {
      dummy = hash_password("not a password of anyone", cost).value_or(std::string());
      made_for = cost;
    }
    phc = dummy;
  }
  verify_password(phc, password);
  return false;
}

}  // namespace socketchat::detail
