#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace socketchat::detail {

// One change of a room's modes: a letter set (+) or unset (-), and its argument.
struct ModeChange {
  bool add = true;
  char letter = 0;
  std::string_view argument{};
};

// IRC's mode changes, "+ov-k alice bob key" (PROTOCOL.md, Operators, room operators
// and modes): a sign, then letters, again as often as wanted; o, v and b take the next
// argument, +k and +l too, -k one if there is one. At most max_changes are read: the
// rest is ignored. `bad` is the letter an error is about.
struct ModeChanges {
  static constexpr std::size_t max_changes = 4;  // IRC's MODES
  enum class Result { ok, unknown_mode, missing_argument };
  std::vector<ModeChange> changes;
  Result result = Result::ok;
  char bad = 0;
};
ModeChanges parse_mode_changes(std::string_view text);

// The changes as IRC spells them, each sign once per run: "+o-v+l alice bob 10".
std::string spell_mode_changes(const std::vector<ModeChange>& changes);

// A room ban's entry (the Hub's list): a name is kept as its key (ASCII lower case);
// a mask (nick!user@host, with * and ?) lower case, completed ("bad*" is "bad*!*@*",
// "*@host" is "*!*@host"), or as the key of its name when it is "<name>!*@*". Empty if
// `given` is neither a name nor a mask (PROTOCOL.md: at most 100 bytes of
// A-Z a-z 0-9 _ . - ~ ! @ * ?).
std::string ban_entry_of(std::string_view given);
// An entry as listed: a name as "<name>!*@*".
std::string shown_ban(std::string_view entry);
// Whether an entry is a mask (else a name's key).
inline bool is_ban_mask(std::string_view entry) noexcept {
  return entry.find('!') != std::string_view::npos;
}

}  // namespace socketchat::detail
