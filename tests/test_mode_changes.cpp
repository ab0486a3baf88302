// IRC's mode changes as the Hub reads them ("+ov-k alice bob"), and the entries of a
// room's ban list (names and masks): PROTOCOL.md, Operators, room operators and modes.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "hub/mode_changes.hpp"
#include "hub/room_state.hpp"

using namespace socketchat::detail;

namespace {

// "+o alice", "-k", "+l 10": each change read, as a readable list.
std::vector<std::string> described(const ModeChanges& parsed) {
  std::vector<std::string> out;
  for (const auto& change : parsed.changes) {
    std::string one{change.add ? '+' : '-', change.letter};
    if (!change.argument.empty()) one.append(" ").append(change.argument);
    out.push_back(one);
  }
  return out;
}

}  // namespace

TEST_CASE("signs carry over letters, and each letter that takes one takes the next argument") {
  const auto parsed = parse_mode_changes("+ov-t+l alice bob 10");
  CHECK(parsed.result == ModeChanges::Result::ok);
  CHECK(described(parsed) == std::vector<std::string>{"+o alice", "+v bob", "-t", "+l 10"});
  CHECK(described(parse_mode_changes("mi")) == std::vector<std::string>{"+m", "+i"});  // + implied
  CHECK(described(parse_mode_changes("-l")) == std::vector<std::string>{"-l"});  // -l takes none
  // -k takes its key if one is given (IRC clients send it), and needs none.
  CHECK(described(parse_mode_changes("-k old")) == std::vector<std::string>{"-k old"});
  CHECK(described(parse_mode_changes("-k")) == std::vector<std::string>{"-k"});
  CHECK(described(parse_mode_changes("  +b   *!*@x  ")) == std::vector<std::string>{"+b *!*@x"});
}

TEST_CASE("at most four changes count; an unknown letter or a missing argument refuses all") {
  CHECK(described(parse_mode_changes("+mintv bob")) ==
        std::vector<std::string>{"+m", "+i", "+n", "+t"});  // the v and its bob ignored
  for (const char* text : {"+x", "+mx", "+o-Z alice"}) {
    CAPTURE(text);
    CHECK(parse_mode_changes(text).result == ModeChanges::Result::unknown_mode);
  }
  CHECK(parse_mode_changes("+x").bad == 'x');
  for (const char* text : {"+o", "+k", "+l", "+b", "-v", "+ov alice"}) {
    CAPTURE(text);
    const auto parsed = parse_mode_changes(text);
    CHECK(parsed.result == ModeChanges::Result::missing_argument);
  }
  CHECK(parse_mode_changes("+ov alice").bad == 'v');
}

TEST_CASE("the changes made are spelled as IRC does, a sign per run") {
  const std::vector<ModeChange> made{{true, 'o', "alice"},
                                     {true, 'v', "bob"},
                                     {false, 't', ""},
                                     {false, 'k', "*"},
                                     {true, 'l', "10"}};
  CHECK(spell_mode_changes(made) == "+ov-tk+l alice bob * 10");
  CHECK(spell_mode_changes({}) == "");
}

TEST_CASE("a ban names a user by key, or a mask completed and lower-cased") {
  CHECK(ban_entry_of("Bob") == "bob");
  CHECK(ban_entry_of("Bob!*@*") == "bob");  // the same ban as the name
  CHECK(ban_entry_of("bad*") == "bad*!*@*");
  CHECK(ban_entry_of("*!~Evil@*") == "*!~evil@*");
  CHECK(ban_entry_of("*@Host.Example") == "*!*@host.example");
  CHECK(ban_entry_of("nick!user") == "nick!user@*");
  for (const char* bad :
       {"", "a b", "a/b", "!x@y", "a!@y", "a!b@", "a@b!c", "a!b!c@d", "a!b@c@d", "caf\xC3\xA9"}) {
    CAPTURE(bad);
    CHECK(ban_entry_of(bad).empty());
  }
  CHECK(ban_entry_of(std::string(100, 'a') + "*").empty());  // over 100 bytes
  CHECK(shown_ban("bob") == "bob!*@*");
  CHECK(shown_ban("*!~evil@*") == "*!~evil@*");
  CHECK(is_ban_mask("*!~evil@*"));
  CHECK_FALSE(is_ban_mask("bob"));
}

TEST_CASE("a room's modes are shown in the order iklmnt, the key only when asked") {
  RoomState state;
  CHECK(state.modes(true) == "+nt");  // a new room's
  state.invite_only = state.moderated = true;
  state.key = "s3cret";
  state.limit = 10;
  state.topic_locked = false;
  CHECK(state.modes(true) == "+iklmn s3cret 10");
  CHECK(state.modes(false) == "+iklmn 10");
}

TEST_CASE("invitations are bounded: past the most, the oldest is forgotten") {
  RoomState state;
  for (std::size_t i = 0; i < RoomState::max_invitations + 5; ++i)
    state.invite("u" + std::to_string(i));
  CHECK(state.invited.size() == RoomState::max_invitations);
  CHECK_FALSE(RoomState::holds(state.invited, "u0"));
  CHECK(RoomState::holds(state.invited, "u104"));
  state.invite("u104");  // again: once
  CHECK(state.invited.size() == RoomState::max_invitations);
}

TEST_CASE("a member's roles follow its renames and end when it leaves") {
  RoomState state;
  state.operators = {"alice"};
  state.voiced = {"alice", "bob"};
  state.rename_member("alice", "alicia");
  CHECK(state.is_operator("alicia"));
  CHECK(state.is_voiced("alicia"));
  CHECK_FALSE(state.is_operator("alice"));
  state.forget_member("alicia");
  CHECK_FALSE(state.is_operator("alicia"));
  CHECK_FALSE(state.is_voiced("alicia"));
  CHECK(state.is_voiced("bob"));
}
