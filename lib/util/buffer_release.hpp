#pragma once

#include <cstddef>

namespace socketchat::detail {

// What a per-connection buffer may keep between uses. One burst (a 1 MiB WebSocket
// message, a big HISTORY over TLS) must not cost an idle connection its peak for ever.
inline constexpr std::size_t kept_buffer_bytes = 4096;

// Empties a per-connection buffer (a std::string or std::vector) that is no longer
// needed; if it grew past `kept_bytes`, its memory is given back too.
template <class Buffer>
void reset_buffer(Buffer& buffer, std::size_t kept_bytes = kept_buffer_bytes) noexcept {
  if (buffer.capacity() * sizeof(typename Buffer::value_type) > kept_bytes) {
    Buffer().swap(buffer);
  } else {
    buffer.clear();
  }
}

}  // namespace socketchat::detail
