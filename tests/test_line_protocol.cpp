// The line protocol without sockets: framing, parsing, text rules and encoding.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "protocol/line/line_protocol.hpp"
#include "protocol/line_framer.hpp"
#include "util/text.hpp"

using namespace socketchat;
using namespace socketchat::detail;

namespace {

// Feeds chunks to a framer; records lines and too-long reports as "!".
std::vector<std::string> frame(std::size_t max, std::vector<std::string> chunks) {
  LineFramer framer(max);
  std::vector<std::string> units;
  for (const auto& chunk : chunks) {
    framer.feed(chunk, [&](LineFramer::Unit unit, std::string_view line) {
      units.push_back(unit == LineFramer::Unit::too_long ? "!" : std::string(line));
      return true;
    });
  }
  return units;
}

std::string encode(const ServerMessage& message) {
  LineProtocol protocol(4096);
  return std::string(protocol.encode(message).view());
}

// Records what a decoder reports, in order: commands as "VERB|name|text", errors as "ERR code".
struct Recorder final : DecodeHandler {
  std::vector<std::string> seen;
  int lines = 0;
  Handled on_command(const Command& c) override {
    seen.push_back(std::to_string(static_cast<int>(c.verb)) + "|" + std::string(c.name) + "|" +
                   std::string(c.text));
    return Flow::next;
  }
  Flow on_reply(Payload payload) override {
    seen.push_back("REPLY " + std::string(payload.view()));
    return Flow::next;
  }
  void on_answer(Payload payload) override {
    seen.push_back("ANSWER " + std::string(payload.view()));
  }
  bool on_decode_error(ReplyError e) override {
    seen.push_back("ERR " + std::string(code_of(e)));
    return true;
  }
  void on_line() override { ++lines; }
};

}  // namespace

TEST_CASE("lines end with LF; a CR right before it is dropped") {
  CHECK(frame(100, {"a\nb\r\nc"}) == std::vector<std::string>{"a", "b"});
  CHECK(frame(100, {"a\r\r\n"}) == std::vector<std::string>{"a\r"});
  CHECK(frame(100, {"he", "llo", "\n"}) == std::vector<std::string>{"hello"});
  CHECK(frame(100, {"\n\n"}) == std::vector<std::string>{"", ""});
}

TEST_CASE("a line of exactly max bytes passes; one more is too long") {
  std::string max(8, 'x');
  CHECK(frame(8, {max + "\n"}) == std::vector<std::string>{max});
  CHECK(frame(8, {max + "\r\n"}) == std::vector<std::string>{max});
  CHECK(frame(8, {max, "\r", "\n"}) == std::vector<std::string>{max});
  CHECK(frame(8, {max + "y\n", "ok\n"}) == std::vector<std::string>{"!", "ok"});
}

TEST_CASE("a too-long line is reported once, before its end arrives, and skipped to its LF") {
  LineFramer framer(8);
  std::vector<std::string> units;
  auto feed = [&](std::string_view bytes) {
    framer.feed(bytes, [&](LineFramer::Unit unit, std::string_view line) {
      units.push_back(unit == LineFramer::Unit::too_long ? "!" : std::string(line));
      return true;
    });
  };
  feed("0123456789");
  CHECK(units == std::vector<std::string>{"!"});
  for (int i = 0; i < 1000; ++i) feed("more bytes of the same line ");
  CHECK(units == std::vector<std::string>{"!"});
  CHECK(framer.buffered() == 0);  // what is discarded is not kept
  feed("end\nnext\n");
  CHECK(units == std::vector<std::string>{"!", "", "next"});
}

TEST_CASE("the framer holds at most one unfinished line") {
  LineFramer framer(16);
  framer.feed("0123456789", [](auto, auto) { return true; });
  CHECK(framer.buffered() == 10);
  framer.feed("\n", [](auto, auto) { return true; });
  CHECK(framer.buffered() == 0);
}

TEST_CASE("the handler can stop decoding mid-input") {
  LineFramer framer(100);
  int calls = 0;
  framer.feed("a\nb\nc\n", [&](auto, auto) { return ++calls < 2; });
  CHECK(calls == 2);
}

TEST_CASE("verbs are case-insensitive; arguments split on runs of spaces and tabs") {
  std::string scratch;
  auto login = LineProtocol::parse("login  \tNaman  ", scratch);
  CHECK(login.verb == Verb::login);
  CHECK(login.name == "Naman");

  auto dm = LineProtocol::parse("Dm\tbob   hello   there\t ", scratch);
  CHECK(dm.verb == Verb::dm);
  CHECK(dm.name == "bob");
  CHECK(dm.text == "hello   there");  // inner whitespace is kept

  auto msg = LineProtocol::parse("   MSG\t a\tb ", scratch);
  CHECK(msg.verb == Verb::msg);
  CHECK(msg.text == "a\tb");

  CHECK(LineProtocol::parse("PING", scratch).text.empty());
  CHECK(LineProtocol::parse("ping tok en", scratch).text == "tok en");
  CHECK(LineProtocol::parse("wHo", scratch).verb == Verb::who);
  CHECK(LineProtocol::parse("QUIT", scratch).verb == Verb::quit);
  CHECK(LineProtocol::parse("help", scratch).verb == Verb::help);
  CHECK(LineProtocol::parse("JOIN x", scratch).verb == Verb::join);
  CHECK(LineProtocol::parse("FLY x", scratch).verb == Verb::unknown);
  CHECK(LineProtocol::parse("MSGX hi", scratch).verb == Verb::unknown);
}

TEST_CASE("LOGIN and REGISTER take a name, then the rest of the line as the password") {
  std::string scratch;
  // Without accounts the Hub refuses a second word as part of the name (invalid).
  Command login = LineProtocol::parse("LOGIN John Smith", scratch);
  CHECK(login.name == "John");
  CHECK(login.secret == "Smith");
  CHECK(LineProtocol::parse("LOGIN", scratch).name.empty());
  CHECK(LineProtocol::parse("LOGIN alice", scratch).secret.empty());
  // Kept whole, so that a password with blanks is refused, not cut short.
  Command reg = LineProtocol::parse("register  bob \t correct horse  ", scratch);
  CHECK(reg.verb == Verb::register_account);
  CHECK(reg.name == "bob");
  CHECK(reg.secret == "correct horse");
}

TEST_CASE("TOKEN takes the rest of the line; PASSWD an old and a new password") {
  std::string scratch;
  Command token = LineProtocol::parse("TOKEN  v1.abc.def ", scratch);
  CHECK(token.verb == Verb::token);
  CHECK(token.secret == "v1.abc.def");
  CHECK(LineProtocol::parse("token", scratch).secret.empty());
  Command passwd = LineProtocol::parse("PASSWD old-one new one", scratch);
  CHECK(passwd.verb == Verb::change_password);
  CHECK(passwd.secret == "old-one");
  CHECK(passwd.new_secret == "new one");
  CHECK(LineProtocol::parse("PASSWD onlyone", scratch).new_secret.empty());
}

TEST_CASE("control characters are removed from text, then the text is trimmed") {
  std::string scratch;
  CHECK(LineProtocol::parse("MSG \x1b[31mred\x1b[0m", scratch).text == "[31mred[0m");
  CHECK(LineProtocol::parse("MSG a\x07\x7f\x01z", scratch).text == "az");
  CHECK(LineProtocol::parse("MSG x\xc2\x9b"
                            "y",
                            scratch)
            .text == "xy");                                                      // C1 CSI
  CHECK(LineProtocol::parse("MSG caf\xc3\xa9", scratch).text == "caf\xc3\xa9");  // é stays
  CHECK(LineProtocol::parse("MSG \x01 \x02", scratch).text.empty());
  CHECK(LineProtocol::parse("DM bob \x1b", scratch).text.empty());
}

TEST_CASE("bidi and line-breaking format characters are removed from text, like controls") {
  // Each as UTF-8: U+061C ALM, U+200E LRM, U+200F RLM, U+2028 LS, U+2029 PS, U+202A LRE,
  // U+202B RLE, U+202C PDF, U+202D LRO, U+202E RLO, U+2066 LRI, U+2067 RLI, U+2068 FSI,
  // U+2069 PDI.
  const char* removed[] = {"\xD8\x9C",     "\xE2\x80\x8E", "\xE2\x80\x8F", "\xE2\x80\xA8",
                           "\xE2\x80\xA9", "\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC",
                           "\xE2\x80\xAD", "\xE2\x80\xAE", "\xE2\x81\xA6", "\xE2\x81\xA7",
                           "\xE2\x81\xA8", "\xE2\x81\xA9"};
  std::string scratch;
  for (std::size_t i = 0; i < std::size(removed); ++i) {
    CAPTURE(i);  // its place in `removed`
    const char* c = removed[i];
    CHECK(LineProtocol::parse("MSG a" + std::string(c) + "b" + c, scratch).text == "ab");
    CHECK(LineProtocol::parse("DM bob " + std::string(c) + c, scratch).text.empty());
    std::string alone;
    CHECK(strip_controls(c, alone).empty());
  }
  // The spoof they allow: "invoice_" RLO "fdp.exe" shows as "invoice_exe.pdf".
  CHECK(LineProtocol::parse("MSG invoice_\xE2\x80\xAE"
                            "fdp.exe",
                            scratch)
            .text == "invoice_fdp.exe");
  CHECK(LineProtocol::parse("MSG \xE2\x81\xA6 x \x1b\xE2\x81\xA9 ", scratch).text == "x");
  // Their neighbours stay, byte for byte: U+061B, U+061D, U+200B..U+200D (ZWJ joins
  // emoji), U+2027, U+202F, U+2065, U+206A, U+2030, and a family emoji joined by ZWJ.
  const std::string kept =
      "\xD8\x9B \xD8\x9D \xE2\x80\x8B \xE2\x80\x8C \xE2\x80\x8D "
      "\xE2\x80\xA7 \xE2\x80\xAF \xE2\x81\xA5 \xE2\x81\xAA \xE2\x80\xB0 "
      "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9";
  CHECK(LineProtocol::parse("MSG " + kept, scratch).text == kept);
  std::string untouched;
  CHECK(strip_controls(kept, untouched).data() == kept.data());  // nothing copied
  // Names are ASCII, so no format character can be in one.
  CHECK_FALSE(is_valid_name("bob\xE2\x80\xAE"));
  CHECK_FALSE(
      is_valid_name("\xE2\x80\x8F"
                    "bob"));
}

TEST_CASE("UTF-8 validation") {
  CHECK(is_valid_utf8("plain ascii"));
  CHECK(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("\xc3"));              // truncated
  CHECK_FALSE(is_valid_utf8("\xc3\x28"));          // bad continuation
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong
  CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
  CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));        // U+10FFFF itself
}

TEST_CASE("names: 1 to 32 of A-Z a-z 0-9 _ . -, starting with a letter or digit") {
  CHECK(is_valid_name("a"));
  CHECK(is_valid_name("Naman_1.x-y"));
  CHECK(is_valid_name("9lives"));
  CHECK(is_valid_name(std::string(32, 'a')));
  CHECK_FALSE(is_valid_name(std::string(33, 'a')));
  CHECK_FALSE(is_valid_name(""));
  CHECK_FALSE(is_valid_name("_x"));
  CHECK_FALSE(is_valid_name(".x"));
  CHECK_FALSE(is_valid_name("-x"));
  CHECK_FALSE(is_valid_name("a b"));
  CHECK_FALSE(is_valid_name("caf\xc3\xa9"));
  CHECK_FALSE(is_valid_name("a@b"));
  CHECK(ascii_lower("NaMaN") == "naman");
  CHECK(iequals_ascii("LOGIN", "login"));
}

TEST_CASE("the decoder refuses bad input, ignores blank lines, and counts every line") {
  LineProtocol protocol(16);
  auto decoder = protocol.make_decoder();
  Recorder r;
  decoder->feed("   \n\t\nPING x\n\xff\nMSG 0123456789abcdef\nWHO\n", r);
  CHECK(r.seen == std::vector<std::string>{"4||x", "ERR invalid-utf8", "ERR line-too-long", "3||"});
  CHECK(r.lines == 6);  // refused and blank lines count as activity too
}

TEST_CASE("encoding: every notice, byte for byte") {
  std::string_view names[] = {"alice", "Bob"};
  CHECK(encode({.notice = Notice::ok}) == "OK\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::username_taken}) ==
        "ERR username-taken\n");
  CHECK(encode({.notice = Notice::message, .user = "Naman", .text = "hi all"}) ==
        "MSG Naman hi all\n");
  CHECK(encode({.notice = Notice::direct_message, .user = "Yudi", .text = "psst"}) ==
        "DM Yudi psst\n");
  CHECK(encode({.notice = Notice::user_list, .names = names}) == "USER alice\nUSER Bob\nEND\n");
  CHECK(encode({.notice = Notice::user_list}) == "END\n");
  CHECK(encode({.notice = Notice::pong}) == "PONG\n");
  CHECK(encode({.notice = Notice::pong, .text = "abc"}) == "PONG abc\n");
  CHECK(encode({.notice = Notice::user_disconnected, .user = "Naman"}) ==
        "INFO Naman disconnected\n");
  CHECK(encode({.notice = Notice::inactivity}) == "INFO disconnected due to inactivity\n");
  CHECK(encode({.notice = Notice::shutting_down}) == "INFO server shutting down\n");
  CHECK(encode({.notice = Notice::banned}) == "INFO banned\n");
  CHECK(encode({.notice = Notice::name_taken}) == "INFO name-taken\n");
  std::string help = encode({.notice = Notice::help});
  CHECK(help.rfind("HELP LOGIN <username>", 0) == 0);
  CHECK(help.size() > 4);
  CHECK(help.substr(help.size() - 4) == "END\n");
}

TEST_CASE("every refusal has its code word") {
  CHECK(encode({.notice = Notice::error, .error = ReplyError::line_too_long}) ==
        "ERR line-too-long\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::invalid_utf8}) ==
        "ERR invalid-utf8\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::invalid_username}) ==
        "ERR invalid-username\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::already_logged_in}) ==
        "ERR already-logged-in\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::not_logged_in}) ==
        "ERR not-logged-in\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::unknown_command}) ==
        "ERR unknown-command\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::missing_argument}) ==
        "ERR missing-argument\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::empty_message}) ==
        "ERR empty-message\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::no_such_user}) ==
        "ERR no-such-user\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::rate_limited}) ==
        "ERR rate-limited\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::server_full}) == "ERR server-full\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::too_many_connections}) ==
        "ERR too-many-connections\n");
}

TEST_CASE(
    "a line the handler does not take (retry) is fed again whole, even one split across reads") {
  LineFramer framer(100);
  std::vector<std::string> seen;
  bool refuse = true;
  auto on_unit = [&](LineFramer::Unit, std::string_view line) {
    if (line == "xyz" && refuse) return Flow::retry;
    seen.emplace_back(line);
    return Flow::next;
  };
  CHECK(framer.feed("a\nxy", on_unit) == 4);
  std::string_view rest = "z\nq\n";
  std::size_t taken = framer.feed(rest, on_unit);
  CHECK(taken == 0);  // "xyz" was not taken: nothing of this read was
  CHECK(seen == std::vector<std::string>{"a"});
  refuse = false;
  CHECK(framer.feed(rest.substr(taken), on_unit) == rest.size());
  CHECK(seen == std::vector<std::string>{"a", "xyz", "q"});
}

TEST_CASE("a JOIN past either room limit is too-many-rooms") {
  CHECK(encode({.notice = Notice::error, .error = ReplyError::too_many_rooms}) ==
        "ERR too-many-rooms\n");
  CHECK(encode({.notice = Notice::error, .error = ReplyError::server_rooms_full}) ==
        "ERR too-many-rooms\n");
}

TEST_CASE("a list longer than max_bytes: the first entries that fit, MORE <left out>, END") {
  const std::string_view names[] = {"alice", "Bob", "carol", "dave", "erin"};
  // "USER alice\n" 11, "USER Bob\n" 9, "USER carol\n" 11, "USER dave\n" 10, "USER erin\n" 10.
  auto who = [&](std::size_t max_bytes) {
    return encode({.notice = Notice::user_list, .names = names, .max_bytes = max_bytes});
  };
  const std::string all = "USER alice\nUSER Bob\nUSER carol\nUSER dave\nUSER erin\nEND\n";  // 55
  CHECK(who(0) == all);
  CHECK(who(55) == all);
  CHECK(who(1000) == all);
  // 54: not all; the first four with "MORE 1" take 41 + 7 + 4 = 52.
  CHECK(who(54) == "USER alice\nUSER Bob\nUSER carol\nUSER dave\nMORE 1\nEND\n");
  CHECK(who(52) == "USER alice\nUSER Bob\nUSER carol\nUSER dave\nMORE 1\nEND\n");
  CHECK(who(51) == "USER alice\nUSER Bob\nUSER carol\nMORE 2\nEND\n");
  CHECK(who(31) == "USER alice\nUSER Bob\nMORE 3\nEND\n");
  CHECK(who(30) == "USER alice\nMORE 4\nEND\n");
  CHECK(who(22) == "USER alice\nMORE 4\nEND\n");
  // Not even one fits: MORE and END alone, whatever the limit.
  CHECK(who(21) == "MORE 5\nEND\n");
  CHECK(who(1) == "MORE 5\nEND\n");
  // An empty list is END, always.
  CHECK(encode({.notice = Notice::user_list, .max_bytes = 1}) == "END\n");

  const RoomSummary rooms[] = {{"a", 1}, {"b", 22}, {"c", 3}};
  // "ROOM a 1\n" 9, "ROOM b 22\n" 10, "ROOM c 3\n" 9.
  CHECK(encode({.notice = Notice::room_list, .rooms = rooms, .max_bytes = 32}) ==
        "ROOM a 1\nROOM b 22\nROOM c 3\nEND\n");
  CHECK(encode({.notice = Notice::room_list, .rooms = rooms, .max_bytes = 31}) ==
        "ROOM a 1\nROOM b 22\nMORE 1\nEND\n");
  CHECK(encode({.notice = Notice::room_list, .rooms = rooms, .max_bytes = 29}) ==
        "ROOM a 1\nMORE 2\nEND\n");
}

TEST_CASE("a HISTORY longer than max_bytes: the latest records that fit, oldest first") {
  const socketchat::HistoryRecord records[] = {
      {.scope = "#r", .unix_ms = 1000, .from = "alice", .text = "one"},
      {.scope = "#r", .unix_ms = 2000, .from = "Bob", .text = "two two"},
      {.scope = "#r", .unix_ms = 3000, .from = "alice", .text = "three"},
  };
  // "HIST r 1000 alice one\n" 22, "HIST r 2000 Bob two two\n" 24, "HIST r 3000 alice three\n" 24.
  auto history = [&](std::size_t max_bytes) {
    return encode(
        {.notice = Notice::history, .room = "r", .history = records, .max_bytes = max_bytes});
  };
  const std::string all =
      "HIST r 1000 alice one\nHIST r 2000 Bob two two\nHIST r 3000 alice three\nEND\n";  // 74
  CHECK(history(0) == all);
  CHECK(history(74) == all);
  CHECK(history(73) == "HIST r 2000 Bob two two\nHIST r 3000 alice three\nMORE 1\nEND\n");
  CHECK(history(59) == "HIST r 2000 Bob two two\nHIST r 3000 alice three\nMORE 1\nEND\n");
  CHECK(history(58) == "HIST r 3000 alice three\nMORE 2\nEND\n");
  CHECK(history(34) == "MORE 3\nEND\n");
}

TEST_CASE("a whole list at the same version is encoded once and its bytes shared") {
  LineProtocol protocol(4096);
  const RoomSummary rooms[] = {{"a", 1}, {"b", 2}};
  const RoomSummary changed[] = {{"a", 1}};
  const ServerMessage at_7{.notice = Notice::room_list, .rooms = rooms, .list_version = 7};
  Payload first = protocol.encode(at_7);
  CHECK(first.view() == "ROOM a 1\nROOM b 2\nEND\n");
  CHECK(protocol.encode(at_7).data() == first.data());  // the very same bytes
  // Another version, another size limit, or no version: encoded anew.
  CHECK(
      protocol.encode({.notice = Notice::room_list, .rooms = changed, .list_version = 8}).view() ==
      "ROOM a 1\nEND\n");
  CHECK(
      protocol
          .encode({.notice = Notice::room_list, .rooms = rooms, .max_bytes = 20, .list_version = 8})
          .view() == "ROOM a 1\nMORE 1\nEND\n");
  Payload unversioned = protocol.encode({.notice = Notice::room_list, .rooms = rooms});
  CHECK(unversioned.view() == first.view());
  CHECK(unversioned.data() != first.data());
  // WHO is kept apart from ROOMS.
  const std::string_view names[] = {"alice"};
  const ServerMessage who{.notice = Notice::user_list, .names = names, .list_version = 9};
  Payload users = protocol.encode(who);
  CHECK(users.view() == "USER alice\nEND\n");
  CHECK(protocol.encode(who).data() == users.data());
  CHECK(
      protocol.encode({.notice = Notice::room_list, .rooms = changed, .list_version = 8}).view() ==
      "ROOM a 1\nEND\n");
}
