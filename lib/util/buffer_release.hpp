#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>

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

// Gives back what a burst made a long-lived vector allocate (a table or queue of
// connections): once its capacity is past `floor` and more than four times `in_use`, it
// is rebuilt, what it holds moved, with room for `keep`. Otherwise it keeps its capacity,
// so that steady use allocates nothing.
template <class Vector>
void shrink_if_sparse(Vector& vector, std::size_t floor, std::size_t in_use, std::size_t keep) {
  if (vector.capacity() <= floor || vector.capacity() / 4 <= in_use) return;
  Vector smaller;
  smaller.reserve(std::max(keep, vector.size()));
  std::move(vector.begin(), vector.end(), std::back_inserter(smaller));
  vector.swap(smaller);
}

}  // namespace socketchat::detail
