#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace socketchat::detail {

// True when bytes are well-formed UTF-8 (no overlong forms, surrogates or code
// points past U+10FFFF).
bool is_valid_utf8(std::string_view bytes) noexcept;

// Text with the C0 controls (except TAB), DEL and the C1 controls (U+0080..U+009F)
// removed, so that no client can send terminal escapes to another; and the bidi and
// line-breaking format characters (U+061C, U+200E, U+200F, U+2028..U+202E,
// U+2066..U+2069), so that none can reorder what others see of a line, a name or a log
// entry. Expects valid UTF-8. Returns `text` itself when there is nothing to remove,
// else a view of `scratch`, which it fills.
std::string_view strip_controls(std::string_view text, std::string& scratch);

inline bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t';
}

// The longest head of `text` of at most `bytes` bytes that ends between UTF-8
// characters; at least one character (cut inside it if it is longer than `bytes`).
std::string_view utf8_head(std::string_view text, std::size_t bytes) noexcept;

// Without the leading and trailing spaces and tabs.
std::string_view trim(std::string_view text) noexcept;

// Splits off the first blank-separated word; `rest` gets what follows, left-trimmed.
std::string_view take_word(std::string_view text, std::string_view& rest) noexcept;

// ASCII lower case: names are unique and sorted without regard to ASCII case.
std::string ascii_lower(std::string_view text);
bool iequals_ascii(std::string_view a, std::string_view b) noexcept;
// Whether `a` sorts before `b` as their ascii_lower() would, without making them.
bool iless_ascii(std::string_view a, std::string_view b) noexcept;

// A username or room name: 1 to 32 of A-Z a-z 0-9 _ . -, starting with a letter or digit.
bool is_valid_name(std::string_view name) noexcept;

// Whether `text` matches `mask` without regard to ASCII case: '*' stands for any run of
// characters, '?' for any one byte (IRC's masks).
bool matches_mask(std::string_view mask, std::string_view text) noexcept;

// A server's name (IRC): 1 to 63 of A-Z a-z 0-9 . -, starting with a letter or digit.
bool is_server_name(std::string_view name) noexcept;

}  // namespace socketchat::detail
