#pragma once

#include <cstddef>

namespace socketchat::detail {

// The control-frame members of a link (see TcpLink) for a link that has no frames of
// its own to send, and no goodbye beyond closing: TCP, TLS, an embedder's stream.
struct NoControlFrames {
  bool has_control() const noexcept { return false; }
  template <class Admit>
  void admit_control(Admit&& /*admit*/) {}
  std::size_t control_bytes() const noexcept { return 0; }
  void goodbye(bool /*server_going_away*/) {}
};

}  // namespace socketchat::detail
