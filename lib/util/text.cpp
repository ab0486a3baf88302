#include "util/text.hpp"

#include <algorithm>

namespace socketchat::detail {

bool is_valid_utf8(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return false;
    }
    if (end - p <= extra) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int i = 2; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += extra + 1;
  }
  return true;
}

namespace {

// Length of the control or bidi format character at `i`, or 0 when there is none.
std::size_t control_at(std::string_view text, std::size_t i) noexcept {
  auto c = static_cast<unsigned char>(text[i]);
  if (c < 0xC2) return ((c < 0x20 && c != '\t') || c == 0x7F) ? 1 : 0;  // C0, DEL
  auto byte = [&](std::size_t k) {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  if (c == 0xC2 && byte(1) >= 0x80 && byte(1) <= 0x9F) return 2;  // U+0080..U+009F
  if (c == 0xD8 && byte(1) == 0x9C) return 2;                     // U+061C ALM
  if (c == 0xE2 && byte(1) == 0x80) {
    auto last = byte(2);
    if (last == 0x8E || last == 0x8F) return 3;  // U+200E LRM, U+200F RLM
    if (last >= 0xA8 && last <= 0xAE) return 3;  // U+2028 LS, U+2029 PS, U+202A..U+202E
  }
  if (c == 0xE2 && byte(1) == 0x81 && byte(2) >= 0xA6 && byte(2) <= 0xA9) {
    return 3;  // U+2066..U+2069 LRI RLI FSI PDI
  }
  return 0;
}

}  // namespace

std::string_view strip_controls(std::string_view text, std::string& scratch) {
  std::size_t i = 0;
  while (i < text.size() && control_at(text, i) == 0) ++i;
  if (i == text.size()) return text;
  scratch.assign(text.substr(0, i));
  while (i < text.size()) {
    if (std::size_t n = control_at(text, i)) {
      i += n;
    } else {
      scratch.push_back(text[i++]);
    }
  }
  return scratch;
}

std::string_view trim(std::string_view text) noexcept {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

std::string_view take_word(std::string_view text, std::string_view& rest) noexcept {
  text = trim(text);
  std::size_t end = 0;
  while (end < text.size() && !is_blank(text[end])) ++end;
  rest = trim(text.substr(end));
  return text.substr(0, end);
}

namespace {
char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
}  // namespace

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool iless_ascii(std::string_view a, std::string_view b) noexcept {
  // As std::string compares: byte by byte as unsigned char, then the shorter first.
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return static_cast<unsigned char>(lower(x)) < static_cast<unsigned char>(lower(y));
  });
}

std::string_view utf8_head(std::string_view text, std::size_t bytes) noexcept {
  std::size_t cut = std::min(text.size(), bytes);
  while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  if (cut == 0) cut = std::min(text.size(), bytes);  // not UTF-8 after all: cut anyway
  return text.substr(0, cut);
}

namespace {

bool is_alnum_ascii(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// 1 to `max` of A-Z a-z 0-9 and `others`, starting with a letter or digit.
bool is_word(std::string_view name, std::size_t max, std::string_view others) noexcept {
  if (name.empty() || name.size() > max || !is_alnum_ascii(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return is_alnum_ascii(c) || others.find(c) != std::string_view::npos;
  });
}

}  // namespace

bool matches_mask(std::string_view mask, std::string_view text) noexcept {
  // Greedy with one point of return: the last '*' and where its match would grow next.
  std::size_t m = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (m < mask.size() && (mask[m] == '?' || lower(mask[m]) == lower(text[t]))) {
      ++m, ++t;
    } else if (m < mask.size() && mask[m] == '*') {
      star = m++;
      resume = t;
    } else if (star != std::string_view::npos) {
      m = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (m < mask.size() && mask[m] == '*') ++m;
  return m == mask.size();
}

bool is_valid_name(std::string_view name) noexcept {
  return is_word(name, 32, "_.-");
}

bool is_server_name(std::string_view name) noexcept {
  return is_word(name, 63, ".-");
}

}  // namespace socketchat::detail
