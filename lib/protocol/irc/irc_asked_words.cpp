#include "protocol/irc/irc_asked_words.hpp"

namespace socketchat::detail {

// Out of line: inlined with a literal word, GCC 12 misreads the replace as an
// overlapping copy (-Wrestrict).
void IrcAskedWords::set(std::size_t index, std::string_view word) {
  text_.replace(start(index), sizes_[index], word);
  sizes_[index] = static_cast<std::uint16_t>(word.size());
}

}  // namespace socketchat::detail
