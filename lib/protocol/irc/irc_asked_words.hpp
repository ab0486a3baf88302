#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace socketchat::detail {

// The words of the IRC command being answered, which its numerics repeat: the verb as
// the client spelled it, its target (channel or nick) and its subject (a KICK's or
// INVITE's nick, a reason). One string for the three, since every IRC connection holds
// them for its whole life and most of it they are a few bytes each.
class IrcAskedWords {
 public:
  std::string_view verb() const noexcept { return word(0); }
  std::string_view target() const noexcept { return word(1); }
  std::string_view subject() const noexcept { return word(2); }
  void set_verb(std::string_view verb) { set(0, verb); }
  void set_target(std::string_view target) { set(1, target); }
  void set_subject(std::string_view subject) { set(2, subject); }

 private:
  std::size_t start(std::size_t index) const noexcept {
    std::size_t start = 0;
    for (std::size_t i = 0; i < index; ++i) start += sizes_[i];
    return start;
  }
  std::string_view word(std::size_t index) const noexcept {
    return std::string_view(text_).substr(start(index), sizes_[index]);
  }
  // A word is at most one IRC line, tags and all (IrcProtocol::max_tagged_line_bytes).
  void set(std::size_t index, std::string_view word);

  std::string text_;  // the verb, the target and the subject, one after the other
  std::array<std::uint16_t, 3> sizes_{};
};

}  // namespace socketchat::detail
