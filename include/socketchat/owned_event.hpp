#pragma once

#include <string>

#include "socketchat/event.hpp"

namespace socketchat {

// An Event that owns its strings, for sinks that keep events past the call.
struct OwnedEvent {
  EventKind kind{};
  std::chrono::system_clock::time_point time{};
  std::uint64_t connection = 0;
  std::string remote, user, target, text, detail;
  std::error_code reason{};

  OwnedEvent() = default;
  explicit OwnedEvent(const Event& e)
      : kind(e.kind),
        time(e.time),
        connection(e.connection),
        remote(e.remote),
        user(e.user),
        target(e.target),
        text(e.text),
        detail(e.detail),
        reason(e.reason) {}

  // A view of this event, valid while it lives unchanged.
  Event view() const {
    return {.kind = kind,
            .time = time,
            .connection = connection,
            .remote = remote,
            .user = user,
            .target = target,
            .text = text,
            .detail = detail,
            .reason = reason};
  }
};

}  // namespace socketchat
