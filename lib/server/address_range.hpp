#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <asio/ip/address.hpp>

namespace socketchat::detail {

// An IP network in CIDR notation ("10.0.0.0/8", "fd00::/8") or one address ("::1",
// "192.0.2.7"), for connection_limit_exempt. An IPv4 client seen through an IPv6
// listener (::ffff:192.0.2.7) is matched as the IPv4 address it is.
class AddressRange {
 public:
  // Nothing for text that is neither; the bits after the prefix need not be zero.
  static std::optional<AddressRange> parse(std::string_view text) {
    std::string_view address_text = text;
    std::optional<unsigned> prefix;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
      address_text = text.substr(0, slash);
      std::string_view digits = text.substr(slash + 1);
      unsigned value = 0;
      auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (digits.empty() || err != std::errc{} || end != digits.data() + digits.size()) {
        return std::nullopt;
      }
      prefix = value;
    }
    std::error_code ec;
    auto address = asio::ip::make_address(std::string(address_text), ec);
    if (ec) return std::nullopt;
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {  // ::ffff:10.0.0.0/104
      if (prefix && (*prefix < 96 || *prefix > 128)) return std::nullopt;
      if (prefix) *prefix -= 96;
      address = unmapped(address);
    }
    const unsigned bits = address.is_v4() ? 32 : 128;
    if (prefix && *prefix > bits) return std::nullopt;
    return AddressRange(address, prefix.value_or(bits));
  }

  bool contains(asio::ip::address address) const noexcept {
    address = unmapped(address);
    if (address.is_v4() != network_.is_v4()) return false;
    auto candidate = bytes_of(address);
    auto network = bytes_of(network_);
    unsigned left = prefix_;
    for (std::size_t i = 0; left > 0; ++i) {
      unsigned take = left < 8 ? left : 8;
      auto mask = static_cast<unsigned char>(0xFF << (8 - take));
      if ((candidate[i] & mask) != (network[i] & mask)) return false;
      left -= take;
    }
    return true;
  }

 private:
  AddressRange(asio::ip::address network, unsigned prefix) : network_(network), prefix_(prefix) {}

  static asio::ip::address unmapped(const asio::ip::address& address) {
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    return address;
  }

  static std::array<unsigned char, 16> bytes_of(const asio::ip::address& address) noexcept {
    std::array<unsigned char, 16> bytes{};
    if (address.is_v4()) {
      auto v4 = address.to_v4().to_bytes();
      std::copy(v4.begin(), v4.end(), bytes.begin());
    } else {
      bytes = address.to_v6().to_bytes();
    }
    return bytes;
  }

  asio::ip::address network_;
  unsigned prefix_;
};

}  // namespace socketchat::detail
