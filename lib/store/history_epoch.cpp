#include "store/history_epoch.hpp"

#include <random>

namespace socketchat::detail {

std::string new_history_epoch() {
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::random_device entropy;
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(digits) - 2);
  std::string epoch(8, '0');
  for (char& c : epoch) c = digits[pick(entropy)];
  return epoch;
}

}  // namespace socketchat::detail
