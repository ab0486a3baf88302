#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "hub/delivery.hpp"
#include "socketchat/protocol.hpp"

namespace socketchat::detail {

// Encodes each message of a run (Delivery::Outgoing) at most once per protocol, however
// many recipients share it. A server speaks a handful of protocols, so a short array
// searched in order beats a map; past its size (an unusual server) the rest are
// encoded per recipient. Nothing is allocated for that array: its payloads are made in
// place as each protocol is first asked for.
class EncodeOnce {
 public:
  static constexpr std::size_t kept = 8;  // protocols
  // At most Delivery::max_run messages.
  explicit EncodeOnce(std::span<const Outgoing> run) : run_(run) {}
  ~EncodeOnce() { std::destroy_n(slots(), used_ * run_.size()); }
  EncodeOnce(const EncodeOnce&) = delete;
  EncodeOnce& operator=(const EncodeOnce&) = delete;

  // The run's messages as `protocol` spells them, one per message, in order; valid until
  // the next call (the recipient copies what it takes into its queue).
  const Payload* for_protocol(const Protocol& protocol) {
    const std::size_t count = run_.size();
    for (std::size_t i = 0; i < used_; ++i) {
      if (protocols_[i] == &protocol) return slots() + i * count;
    }
    if (used_ == kept) {
      overflow_.clear();
      for (const Outgoing& out : run_) overflow_.push_back(protocol.encode(out.message));
      return overflow_.data();
    }
    // Made empty and counted first, so that what an encode() that throws leaves is
    // destroyed with the rest.
    Payload* made = slots() + used_ * count;
    std::uninitialized_default_construct_n(made, count);
    protocols_[used_++] = &protocol;
    for (std::size_t i = 0; i < count; ++i) made[i] = protocol.encode(run_[i].message);
    return made;
  }

 private:
  Payload* slots() noexcept { return reinterpret_cast<Payload*>(storage_.data()); }

  std::span<const Outgoing> run_;
  std::size_t used_ = 0;
  std::array<const Protocol*, kept> protocols_{};
  alignas(Payload) std::array<std::byte, sizeof(Payload) * kept * Delivery::max_run> storage_;
  std::vector<Payload> overflow_;
};

}  // namespace socketchat::detail
