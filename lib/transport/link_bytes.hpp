#pragma once

#include <string_view>

#include <asio/buffer.hpp>

#include "socketchat/payload.hpp"

namespace socketchat::detail {

// The bytes of one piece of a batch a link writes: a payload of the session's queue,
// or a buffer framed by a link on top (WebSocket).
inline std::string_view bytes_of(const Payload& payload) noexcept {
  return payload.view();
}
inline std::string_view bytes_of(const asio::const_buffer& buffer) noexcept {
  return {static_cast<const char*>(buffer.data()), buffer.size()};
}

}  // namespace socketchat::detail
