#pragma once

#include <array>

#include "protocol/protocol.hpp"

namespace socketchat::detail {

// Encodes one message at most once per protocol, however many recipients share it.
class EncodeOnce {
 public:
  explicit EncodeOnce(const ServerMessage& message) : message_(message) {}

  const Payload& for_protocol(const Protocol& protocol) {
    Payload& slot = cache_[protocol.id()];
    if (!slot) slot = protocol.encode(message_);
    return slot;
  }

 private:
  const ServerMessage& message_;
  std::array<Payload, max_protocols> cache_;
};

}  // namespace socketchat::detail
