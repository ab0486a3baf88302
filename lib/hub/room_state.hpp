#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace socketchat::detail {

// What a room is besides its members (PROTOCOL.md, Operators, room operators and
// modes): its operators and voiced members, its modes, its topic and its open
// invitations. It lasts as long as the room. Names are user keys (ASCII lower case);
// plain data, guarded by the Hub's lock.
struct RoomState {
  // A room holds at most this many invitations; a new one past it forgets the oldest.
  static constexpr std::size_t max_invitations = 100;
  static constexpr std::size_t max_topic_bytes = 390;  // IRC's TOPICLEN
  static constexpr std::size_t max_key_bytes = 23;     // IRC's KEYLEN
  static constexpr std::size_t max_limit = 100000;     // the most +l takes

  std::vector<std::string> operators, voiced, invited;
  bool topic_locked = true;  // t
  bool members_only = true;  // n
  bool moderated = false;    // m
  bool invite_only = false;  // i
  std::string key;           // k; empty: none
  std::size_t limit = 0;     // l; 0: none
  std::string topic, topic_by;
  std::int64_t topic_ms = 0;    // when the topic was set (unix ms)
  std::int64_t created_ms = 0;  // when the room was created (unix ms)

  static bool holds(const std::vector<std::string>& list, std::string_view user_key) {
    return std::find(list.begin(), list.end(), user_key) != list.end();
  }
  // Adds or takes out; false if that changed nothing.
  static bool set(std::vector<std::string>& list, std::string_view user_key, bool on) {
    auto it = std::find(list.begin(), list.end(), user_key);
    if (on == (it != list.end())) return false;
    if (on) {
      list.emplace_back(user_key);
    } else {
      list.erase(it);
    }
    return true;
  }
  bool is_operator(std::string_view user_key) const { return holds(operators, user_key); }
  bool is_voiced(std::string_view user_key) const { return holds(voiced, user_key); }

  void invite(std::string_view user_key) {
    if (holds(invited, user_key)) return;
    if (invited.size() >= max_invitations) invited.erase(invited.begin());
    invited.emplace_back(user_key);
  }
  // The member's roles end when it leaves; an invitation when it is used.
  void forget_member(std::string_view user_key) {
    set(operators, user_key, false);
    set(voiced, user_key, false);
  }
  void rename_member(std::string_view old_key, const std::string& new_key) {
    for (auto* list : {&operators, &voiced, &invited}) {
      std::replace(list->begin(), list->end(), std::string(old_key), new_key);
    }
  }

  // "+<letters>" in the order iklmnt, then the key (when `with_key`) and the limit.
  std::string modes(bool with_key) const {
    std::string letters = "+", arguments;
    if (invite_only) letters += 'i';
    if (!key.empty()) {
      letters += 'k';
      if (with_key) arguments.append(" ").append(key);
    }
    if (limit != 0) {
      letters += 'l';
      arguments.append(" ").append(std::to_string(limit));
    }
    if (moderated) letters += 'm';
    if (members_only) letters += 'n';
    if (topic_locked) letters += 't';
    return letters + arguments;
  }
};

}  // namespace socketchat::detail
