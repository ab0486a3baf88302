#pragma once

// What every fuzz target checks with: an invariant that aborts (so that libFuzzer
// keeps the input), and what "no control characters" means for a delivered text.

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace fuzz {

inline void require(bool condition, const char* invariant) {
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", invariant);
    std::abort();
  }
}

// The same, printing the bytes concerned (escaped) first.
inline void require(bool condition, const char* invariant, std::string_view bytes) {
  if (condition) return;
  std::fprintf(stderr, "in: \"");
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F && c != '\\') {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02X", byte);
    }
  }
  std::fprintf(stderr, "\" (%zu bytes)\n", bytes.size());
  require(false, invariant);
}

// A C0 control but TAB, DEL, or a C1 control (U+0080..U+009F, UTF-8 C2 80..C2 9F).
inline bool has_control(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size()) {
      auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

}  // namespace fuzz
