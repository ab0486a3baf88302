#pragma once

#include <array>
#include <cstddef>

#include "socketchat/protocol.hpp"

namespace socketchat::detail {

// Encodes one message at most once per protocol, however many recipients share it.
// A server speaks a handful of protocols, so a short array searched in order beats
// a map; past its size (an unusual server) the rest are encoded per recipient.
class EncodeOnce {
 public:
  explicit EncodeOnce(const ServerMessage& message) : message_(message) {}

  // Valid until the next call (a reference: the recipient copies it into its queue).
  const Payload& for_protocol(const Protocol& protocol) {
    for (std::size_t i = 0; i < used_; ++i) {
      if (protocols_[i] == &protocol) return payloads_[i];
    }
    if (used_ == protocols_.size()) return overflow_ = protocol.encode(message_);
    protocols_[used_] = &protocol;
    payloads_[used_] = protocol.encode(message_);
    return payloads_[used_++];
  }

 private:
  static constexpr std::size_t kept = 8;
  const ServerMessage& message_;
  std::size_t used_ = 0;
  std::array<const Protocol*, kept> protocols_{};
  std::array<Payload, kept> payloads_{};
  Payload overflow_;
};

}  // namespace socketchat::detail
