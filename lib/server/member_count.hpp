#pragma once

#include <cstddef>

namespace socketchat::detail {

// Converts to any member's type; only ever named in unevaluated code.
struct AnyMember {
  template <class T>
  operator T() const;  // NOLINT(google-explicit-constructor): that is its whole point
};

// How many members the aggregate T has: the most initialisers its braces take. A table
// that must list every member of a struct checks its length against this, so that a
// member added to the struct and not to the table fails the build.
template <class T, class... Members>
consteval std::size_t member_count() {
  if constexpr (requires { T{Members{}..., AnyMember{}}; }) {
    return member_count<T, Members..., AnyMember>();
  } else {
    return sizeof...(Members);
  }
}

}  // namespace socketchat::detail
