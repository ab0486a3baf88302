#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace socketchat::detail {

// Argon2id's cost: how many passes, and how much memory each hash takes.
struct PasswordCost {
  std::uint64_t passes = 2;
  std::uint64_t memory_kib = 19 * 1024;  // OWASP's minimum for Argon2id, t=2
};

// The longest password hashed, in bytes: a longer one is refused before any work.
inline constexpr std::size_t max_password_bytes = 256;

// These block for as long as a hash takes (tens of ms): call them off the I/O threads.
// A PHC string for `password` with a fresh random salt; nullopt if the memory for it
// could not be had.
std::optional<std::string> hash_password(std::string_view password, const PasswordCost& cost);
// Whether `password` matches `phc`; false for a malformed `phc`.
bool verify_password(std::string_view phc, std::string_view password);
// Whether `phc` was made with another cost than `cost` (a login rehashes it then).
bool needs_rehash(std::string_view phc, const PasswordCost& cost);
// Takes as long as verify_password on a real account: for an unknown name, so that the
// reply's timing does not tell whether the name is registered. Always false.
bool verify_nothing(std::string_view password, const PasswordCost& cost);

}  // namespace socketchat::detail
