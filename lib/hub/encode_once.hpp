#pragma once

#include <array>
#include <cstddef>
#include <utility>

#include "socketchat/protocol.hpp"

namespace socketchat::detail {

// Encodes one message at most once per protocol, however many recipients share it.
// A server speaks a handful of protocols, so a short array searched in order beats
// a map; past its size (an unusual server) the rest are encoded per recipient.
class EncodeOnce {
 public:
  explicit EncodeOnce(const ServerMessage& message) : message_(message) {}

  Payload for_protocol(const Protocol& protocol) {
    for (std::size_t i = 0; i < used_; ++i) {
      if (cache_[i].first == &protocol) return cache_[i].second;
    }
    Payload encoded = protocol.encode(message_);
    if (used_ < cache_.size()) cache_[used_++] = {&protocol, encoded};
    return encoded;
  }

 private:
  const ServerMessage& message_;
  std::array<std::pair<const Protocol*, Payload>, 8> cache_{};
  std::size_t used_ = 0;
};

}  // namespace socketchat::detail
