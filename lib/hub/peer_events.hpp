#pragma once

#include <string_view>

#include "hub/peer.hpp"
#include "sinks/event_bus.hpp"
#include "socketchat/event.hpp"

namespace socketchat::detail {

// An event about `peer`: its connection, where it is from, and its name if it has one.
// `as`: the user, when not the peer's name now (which only its own strand may read
// outside the Hub's lock).
inline Event event_of(const Peer& peer, EventKind kind, std::string_view as = {}) {
  return {.kind = kind,
          .time = {},
          .connection = peer.id(),
          .remote = peer.remote(),
          .user = as.empty() ? std::string_view(peer.name()) : as};
}

// Something the server survived failed for `peer` (an embedder's callback, the history
// store): the sinks are told what (`detail`, e.g. "filter-failed") and why.
inline void publish_failure(EventBus& bus, const Peer& peer, std::string_view detail,
                            std::string_view failure) {
  Event event = event_of(peer, EventKind::error);
  event.text = failure;
  event.detail = detail;
  bus.publish(event);
}

}  // namespace socketchat::detail
