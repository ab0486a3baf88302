#include "hub/mode_changes.hpp"

#include "util/text.hpp"

namespace socketchat::detail {

namespace {

constexpr std::string_view known_letters = "ovtnmiklb";

bool takes_argument(char letter, bool add) {
  return letter == 'o' || letter == 'v' || letter == 'b' ||
         (add && (letter == 'k' || letter == 'l'));
}

// The next space-separated word of `rest`, taken from it.
std::string_view next_word(std::string_view& rest) {
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  const std::string_view word = rest.substr(0, rest.find(' '));
  rest.remove_prefix(word.size());
  return word;
}

}  // namespace

ModeChanges parse_mode_changes(std::string_view text) {
  ModeChanges parsed;
  std::string_view arguments = text;
  const std::string_view letters = next_word(arguments);
  bool add = true;
  for (char c : letters) {
    if (c == '+' || c == '-') {
      add = c == '+';
      continue;
    }
    if (parsed.changes.size() == ModeChanges::max_changes) break;
    if (known_letters.find(c) == std::string_view::npos) {
      parsed.result = ModeChanges::Result::unknown_mode;
      parsed.bad = c;
      return parsed;
    }
    ModeChange change{.add = add, .letter = c};
    if (takes_argument(c, add) || (c == 'k' && !add)) {
      change.argument = next_word(arguments);
      if (change.argument.empty() && (add || c != 'k')) {
        parsed.result = ModeChanges::Result::missing_argument;
        parsed.bad = c;
        return parsed;
      }
    }
    parsed.changes.push_back(change);
  }
  return parsed;
}

std::string spell_mode_changes(const std::vector<ModeChange>& changes) {
  std::string letters, arguments;
  char sign = 0;
  for (const auto& change : changes) {
    const char wanted = change.add ? '+' : '-';
    if (sign != wanted) letters.push_back(sign = wanted);
    letters.push_back(change.letter);
    if (!change.argument.empty()) arguments.append(" ").append(change.argument);
  }
  return letters + arguments;
}

std::string ban_entry_of(std::string_view given) {
  constexpr std::size_t max_mask_bytes = 100;
  if (given.empty() || given.size() > max_mask_bytes) return {};
  for (char c : given) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' || c == '~' ||
                         c == '!' || c == '@' || c == '*' || c == '?';
    if (!allowed) return {};
  }
  if (is_valid_name(given)) return ascii_lower(given);
  std::string mask = ascii_lower(given);
  const std::size_t bang = mask.find('!'), at = mask.find('@');
  if (bang == std::string::npos && at == std::string::npos) {
    mask += "!*@*";
  } else if (bang == std::string::npos) {
    mask.insert(0, "*!");
  } else if (at == std::string::npos) {
    mask += "@*";
  }
  // One '!' before one '@', each part not empty.
  const std::size_t b = mask.find('!'), a = mask.find('@');
  if (b == 0 || a < b || a == b + 1 || a + 1 == mask.size() ||
      mask.find('!', b + 1) != std::string::npos || mask.find('@', a + 1) != std::string::npos) {
    return {};
  }
  if (mask.size() > max_mask_bytes) return {};
  const std::string_view nick = std::string_view(mask).substr(0, b);
  if (std::string_view(mask).substr(b) == "!*@*" && is_valid_name(nick)) return std::string(nick);
  return mask;
}

std::string shown_ban(std::string_view entry) {
  std::string shown(entry);
  if (!is_ban_mask(entry)) shown += "!*@*";
  return shown;
}

}  // namespace socketchat::detail
