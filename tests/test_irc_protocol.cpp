// The IRC adapter without sockets: message parsing, the decoding of lines into Hub
// commands and local replies (registration, channels, messages, the retry rule), and
// the spelling of the Hub's answers and broadcasts as IRC lines.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/irc/irc_asked_words.hpp"
#include "protocol/irc/irc_caps.hpp"
#include "protocol/irc/irc_connection.hpp"
#include "protocol/irc/irc_message.hpp"
#include "protocol/irc/irc_protocol.hpp"
#include "socketchat/version.hpp"
#include "support/doctest_lines.hpp"
#include "util/text.hpp"

using namespace socketchat;
using namespace socketchat::detail;
using Lines = std::vector<std::string>;

namespace {

// ---- parse_irc_message ------------------------------------------------------------

// {command, params...}, or {} when the line holds no command.
Lines parsed(std::string_view line) {
  IrcMessage message;
  if (!parse_irc_message(line, message)) return {};
  Lines out{std::string(message.command)};
  for (std::size_t i = 0; i < message.count; ++i) out.emplace_back(message.param(i));
  return out;
}

// ---- a fake Hub ---------------------------------------------------------------------

std::string_view verb_name(Verb verb) {
  switch (verb) {
    case Verb::login:
      return "login";
    case Verb::msg:
      return "msg";
    case Verb::dm:
      return "dm";
    case Verb::who:
      return "who";
    case Verb::ping:
      return "ping";
    case Verb::quit:
      return "quit";
    case Verb::help:
      return "help";
    case Verb::join:
      return "join";
    case Verb::part:
      return "part";
    case Verb::say:
      return "say";
    case Verb::rooms:
      return "rooms";
    case Verb::history:
      return "history";
    case Verb::user_info:
      return "user_info";
    case Verb::room_info:
      return "room_info";
    case Verb::register_account:
      return "register";
    case Verb::token:
      return "token";
    case Verb::change_password:
      return "passwd";
    case Verb::kick:
      return "kick";
    case Verb::ban:
      return "ban";
    case Verb::unban:
      return "unban";
    case Verb::mute:
      return "mute";
    case Verb::unmute:
      return "unmute";
    case Verb::oper:
      return "oper";
    case Verb::away:
      return "away";
    case Verb::part_all:
      return "part_all";
    case Verb::counts:
      return "counts";
    case Verb::rename:
      return "rename";
    case Verb::topic:
      return "topic";
    case Verb::set_topic:
      return "set_topic";
    case Verb::mode:
      return "mode";
    case Verb::invite:
      return "invite";
    case Verb::unknown:
      return "unknown";
  }
  return "?";
}

// "join a", "say a :hi there", "dm bob :hi [notice]", "who a (follow-up)".
std::string describe(const Command& command) {
  std::string out(verb_name(command.verb));
  if (!command.name.empty()) (out += ' ') += command.name;
  if (!command.text.empty()) (out += " :") += command.text;
  if (!command.secret.empty()) {
    (out += " secret=") += command.secret;
    if (command.secret_optional) out += " (optional)";
  }
  constexpr std::string_view kinds[] = {"", " [notice]", " [ctcp]", " [ctcp reply]"};
  out += kinds[static_cast<std::size_t>(command.kind)];
  if (command.follow_up) out += " (follow-up)";
  return out;
}

ServerMessage refusal(ReplyError error) {
  return {.notice = Notice::error, .error = error};
}

// Plays the Hub for one IRC connection, as Session and Hub do: each command is
// answered at once through the connection's own encode(). Records, in order, the
// commands ("join a"), what the Hub sent back ("hub: <bytes>", nothing for an empty
// payload), the connection's local replies ("local: <bytes>") and the refused input
// ("error: line-too-long").
struct FakeHub final : DecodeHandler {
  explicit FakeHub(IrcConnection& connection) : irc(connection) {}

  IrcConnection& irc;
  Lines seen;
  std::set<std::string> users{"bob"};         // logged in already (lower case): taken, and DM-able
  std::map<std::string, std::string> away;    // by user key: AWAY's message
  std::optional<ReplyError> refuse_rename;    // how a rename is refused, if it is
  std::set<std::string> joined;               // the rooms this user is in (lower case)
  std::map<std::string, std::string> topics;  // by room key
  std::vector<RoomRoles> roles;               // of the names of a room's list
  std::string nick;                           // once logged in
  // Registered names (lower case) and their passwords: LOGIN needs it for them, and
  // fits no other name.
  std::map<std::string, std::string> accounts{
      {"dave", "password1"}, {"erin", std::string(294, 'A')}, {"fred", std::string(297, 'A')}};
  // A LOGIN is answered later (Handled::pending), by settle(), as an Authenticator does.
  bool later = false;
  std::optional<ServerMessage> owed;
  bool pending = false;        // the command being answered was left for later
  bool silent = false;         // record commands, answer none (but see first_reply)
  std::size_t room_limit = 0;  // told with the OK to LOGIN
  int retry_at = 0;            // the call (of on_command, on_reply) that gets Flow::retry
  int calls = 0;
  int lines = 0;

  // Silent, the first command is answered with first_reply (then null), spelled as
  // first_spelled.
  const ServerMessage* first_reply = nullptr;
  std::string first_spelled;
  bool refused = false;       // the command being answered was
  bool says_refused = false;  // tells of every command that it was, whatever it answered

  void send(const ServerMessage& message) {
    if (pending) {
      owed = message;
      return;
    }
    refused |= message.notice == Notice::error;
    if (Payload payload = irc.encode(message))
      seen.push_back("hub: " + std::string(payload.view()));
  }

  // As Session does: refused when the Hub answered with an error.
  Handled on_command(const Command& c) override {
    refused = false;
    pending = later && c.verb == Verb::login;
    const Flow flow = respond(c);
    if (std::exchange(pending, false) && flow != Flow::retry) return {Flow::stop, false, true};
    return {flow, refused || says_refused};
  }

  // The answer to a LOGIN left for later, then the outcome, as Session::defer does.
  void settle() {
    REQUIRE(owed);
    ServerMessage answer = *std::exchange(owed, std::nullopt);
    refused = false;
    send(answer);
    irc.on_settled(refused);
  }

  Flow respond(const Command& c) {
    if (++calls == retry_at) return Flow::retry;  // busy: nothing happened
    seen.push_back(describe(c));
    if (silent) {
      if (const ServerMessage* reply = std::exchange(first_reply, nullptr)) {
        refused = reply->notice == Notice::error;
        first_spelled = std::string(irc.encode(*reply).view());
      }
      return Flow::next;
    }
    const std::string key = ascii_lower(c.name);
    if (nick.empty() && c.verb != Verb::login && c.verb != Verb::ping && c.verb != Verb::quit) {
      send(refusal(ReplyError::not_logged_in));
      return Flow::next;
    }
    switch (c.verb) {
      case Verb::login:
        if (!nick.empty()) {
          send(refusal(ReplyError::already_logged_in));
        } else if (!is_valid_name(c.name)) {
          send(refusal(ReplyError::invalid_username));
        } else if (auto account = accounts.find(key);
                   c.secret.empty() && account != accounts.end()) {
          send(refusal(ReplyError::password_required));
        } else if (!c.secret.empty() &&
                   (account == accounts.end() || account->second != c.secret)) {
          send(refusal(ReplyError::bad_credentials));
        } else if (!users.insert(key).second) {
          send(refusal(ReplyError::username_taken));
        } else {
          nick = c.name;
          send({.notice = Notice::ok, .user = nick, .room_limit = room_limit});
        }
        break;
      case Verb::who: {
        std::vector<std::string_view> names;
        if (c.name.empty()) {
          names = {"bob", nick};
        } else if (joined.contains(key)) {
          names = {nick};
        } else {
          send(refusal(ReplyError::no_such_room));
          break;
        }
        send({.notice = Notice::user_list,
              .names = names,
              .roles = c.name.empty() ? std::span<const RoomRoles>{} : std::span(roles)});
        break;
      }
      case Verb::join:
        if (!is_valid_name(c.name)) {
          send(refusal(ReplyError::invalid_room));
        } else if (!joined.insert(key).second) {
          send(refusal(ReplyError::already_in_room));
        } else {
          send({.notice = Notice::ok});
        }
        break;
      case Verb::part:
        if (joined.erase(key) == 0) {
          send(refusal(ReplyError::not_in_room));
        } else {
          send({.notice = Notice::ok});
        }
        break;
      case Verb::say:
        if (c.name.empty()) {
          send(refusal(ReplyError::missing_argument));
        } else if (!joined.contains(key)) {
          send(refusal(ReplyError::not_in_room));
        }
        break;
      case Verb::dm:
        if (!users.contains(key)) send(refusal(ReplyError::no_such_user));
        break;
      case Verb::msg:
        if (c.text.empty()) send(refusal(ReplyError::empty_message));
        break;
      case Verb::ping:
        send({.notice = Notice::pong, .text = c.text});
        break;
      case Verb::quit:
        return Flow::stop;
      case Verb::rooms: {
        const RoomSummary rooms[] = {{"a", 2}, {"b", 1}};
        send({.notice = Notice::room_list, .rooms = rooms});
        break;
      }
      case Verb::user_info:
        send(users.contains(key) || key == ascii_lower(nick)
                 ? ServerMessage{.notice = Notice::user_info,
                                 .user = c.name,
                                 .identity = {.away = away[key]}}
                 : refusal(ReplyError::no_such_user));
        break;
      case Verb::away:
        away[ascii_lower(nick)] = c.text;
        send({.notice = Notice::ok});
        break;
      case Verb::rename:
        if (refuse_rename) {
          send(refusal(*refuse_rename));
        } else if (!is_valid_name(c.name)) {
          send(refusal(ReplyError::invalid_username));
        } else if (users.contains(key) && key != ascii_lower(nick)) {
          send(refusal(ReplyError::username_taken));
        } else {
          users.erase(ascii_lower(nick));
          users.insert(key);
          nick = std::string(c.name);
          send({.notice = Notice::ok, .user = nick});
        }
        break;
      case Verb::topic:  // a room it is in has a topic when one was set here
        if (!joined.contains(key)) {
          send(refusal(ReplyError::no_such_room));
        } else {
          send({.notice = Notice::topic,
                .text = topics[key],
                .room = c.name,
                .by = "bob",
                .time_ms = 1700000000123});
        }
        break;
      case Verb::set_topic:
        if (!joined.contains(key)) {
          send(refusal(ReplyError::not_in_room));
        } else {
          topics[key] = c.text;
          send({.notice = Notice::ok});
        }
        break;
      case Verb::mode:  // the modes of a new room; its ban list empty; changes: not an op
        if (!joined.contains(key)) {
          send(refusal(ReplyError::no_such_room));
        } else if (c.text.empty()) {
          send({.notice = Notice::room_modes,
                .text = "+nt",
                .room = c.name,
                .time_ms = 1700000000999});
        } else if (c.text == "b") {
          send({.notice = Notice::ban_list, .room = c.name});
        } else {
          send(refusal(ReplyError::not_operator));
        }
        break;
      default:
        send(refusal(ReplyError::unknown_command));
        break;
    }
    return Flow::next;
  }

  Flow on_reply(Payload payload) override {
    if (++calls == retry_at) return Flow::retry;
    seen.push_back("local: " + std::string(payload.view()));
    return Flow::next;
  }

  void on_answer(Payload payload) override {
    if (payload) seen.push_back("answer: " + std::string(payload.view()));
  }

  bool on_decode_error(ReplyError error) override {
    seen.push_back("error: " + std::string(code_of(error)));
    return true;
  }

  void on_line() override { ++lines; }
};

// One IRC connection and its fake Hub; registered as `nick` unless that is empty.
struct Client {
  explicit Client(std::string_view nick = "alice") {
    if (nick.empty()) return;
    feed("NICK " + std::string(nick) + "\r\nUSER " + std::string(nick) + " 0 * :A User\r\n");
    REQUIRE(hub.nick == nick);
    hub.seen.clear();
    hub.calls = 0;
    hub.lines = 0;
  }
  std::size_t feed(std::string_view bytes) { return irc.feed(bytes, hub); }

  IrcProtocol shared{"socketchat"};
  IrcConnection irc{shared};
  FakeHub hub{irc};
};

// The welcome burst a registration gets: RPL 001 to 005, no MOTD, the JOIN of &public
// with a names list of the newcomer alone (everyone's would cost N^2 bytes over N logins).
// `user`: USER's user name, if not the nick.
std::string welcome(const IrcProtocol& shared, const std::string& nick, std::string user = {}) {
  const std::string v = socketchat::version_string;
  auto numeric = [&](std::string_view code, const std::string& rest) {
    return ":socketchat " + std::string(code) + " " + nick + " " + rest + "\r\n";
  };
  const std::string source = nick + "!~" + (user.empty() ? nick : user) + "@socketchat";
  return numeric("001", ":Welcome to the socketchat IRC Network " + source) +
         numeric("002", ":Your host is socketchat, running version " + v) +
         numeric("003", ":This server was created " + shared.created()) +
         numeric("004", "socketchat " + v + " i biklmnotv") +
         numeric("005",
                 "CHANTYPES=#& NICKLEN=32 CHANNELLEN=33 USERLEN=11 CASEMAPPING=ascii "
                 "PREFIX=(ov)@+ CHANMODES=b,k,l,imnt :are supported by this server") +
         numeric("005",
                 "MODES=4 TOPICLEN=390 KEYLEN=23 NETWORK=socketchat WHOX ELIST=MU CHATHISTORY=500 "
                 "MSGREFTYPES=msgid,timestamp :are supported by "
                 "this server") +
         numeric("422", ":MOTD File is missing") + ":" + source + " JOIN &public\r\n" +
         numeric("353", "= &public :" + nick) + numeric("366", "&public :End of /NAMES list.");
}

// What the connection (registered as alice, unless `nick` is empty) spells for the
// Hub's `message` when it answers the first command `line` makes, as the Hub does,
// while handling it (a line that makes none, such as one refused with 451: after it).
std::string answer(std::string_view line, const ServerMessage& message,
                   std::string_view nick = "alice") {
  Client client(nick);
  client.hub.silent = true;
  client.hub.first_reply = &message;
  client.feed(std::string(line) + "\r\n");
  if (client.hub.first_reply) return std::string(client.irc.encode(message).view());
  return client.hub.first_spelled;
}

std::string broadcast(const ServerMessage& message) {
  static const IrcProtocol shared{"socketchat"};
  return std::string(shared.encode(message).view());
}

// Feeds `setup` to a fresh unregistered client, then `input` with the Hub answering
// its retry_at-th call (0: none) with Flow::retry, feeding again what was not taken as
// the Session does. Returns what happened during `input`.
Lines run(std::string_view setup, std::string_view input, int retry_at, int* calls = nullptr) {
  Client client("");
  client.feed(setup);
  client.hub.seen.clear();
  client.hub.calls = 0;
  client.hub.retry_at = retry_at;
  for (int round = 0; round < 8 && !input.empty(); ++round) input.remove_prefix(client.feed(input));
  CHECK(input.empty());
  if (calls) *calls = client.hub.calls;
  return client.hub.seen;
}

// A retry at any step of `input` changes nothing: no step lost, none repeated.
void check_retries(std::string_view setup, std::string_view input) {
  int calls = 0;
  const Lines expected = run(setup, input, 0, &calls);
  REQUIRE(calls > 0);
  for (int n = 1; n <= calls; ++n) {
    CAPTURE(n);
    CHECK(run(setup, input, n) == expected);
  }
}

constexpr std::string_view registration = "NICK alice\r\nUSER alice 0 * :Alice A\r\n";

}  // namespace

// ---- parsing ------------------------------------------------------------------------

TEST_CASE("IrcAskedWords: each word set in any order keeps the others") {
  socketchat::detail::IrcAskedWords words;
  CHECK(words.verb().empty());
  CHECK(words.target().empty());
  CHECK(words.subject().empty());
  words.set_subject("a reason");
  words.set_verb("*");
  words.set_target("#room");
  CHECK(words.verb() == "*");
  CHECK(words.target() == "#room");
  CHECK(words.subject() == "a reason");
  words.set_verb("PrivMsg");
  words.set_target("");
  CHECK(words.verb() == "PrivMsg");
  CHECK(words.target().empty());
  CHECK(words.subject() == "a reason");
  words.set_target(words.verb());  // a word of its own
  words.set_subject(std::string(4000, 'x'));
  CHECK(words.verb() == "PrivMsg");
  CHECK(words.target() == "PrivMsg");
  CHECK(words.subject() == std::string(4000, 'x'));
}

TEST_CASE("an IRC line splits into its command and parameters, the trailing one whole") {
  IrcMessage m;
  REQUIRE(parse_irc_message("@time=x :nick!u@h PRIVMSG #general :hello  there", m));
  CHECK(m.command == "PRIVMSG");
  REQUIRE(m.count == 2);
  CHECK(m.param(0) == "#general");
  CHECK(m.param(1) == "hello  there");
  CHECK_FALSE(parse_irc_message("   ", m));
}

TEST_CASE("parse: tags and prefix are skipped, the command keeps its case") {
  CHECK(parsed("@time=12:00;x=y :nick!u@h PrivMsg #a :hi") == Lines{"PrivMsg", "#a", "hi"});
  CHECK(parsed(":prefix NICK alice") == Lines{"NICK", "alice"});
  CHECK(parsed("@tags-only") == Lines{});
  CHECK(parsed(":prefix-only") == Lines{});
  CHECK(parsed("@tags :prefix") == Lines{});
  CHECK(parsed("") == Lines{});
  CHECK(parsed("     ") == Lines{});
}

TEST_CASE("parse: middle params split on runs of spaces; the trailing one keeps everything") {
  CHECK(parsed("USER a 0 * :Real Name") == Lines{"USER", "a", "0", "*", "Real Name"});
  CHECK(parsed("   PING    tok   ") == Lines{"PING", "tok"});
  CHECK(parsed("PRIVMSG  #a  :  spaced  out  ") == Lines{"PRIVMSG", "#a", "  spaced  out  "});
  CHECK(parsed("PRIVMSG bob ::-) :x") == Lines{"PRIVMSG", "bob", ":-) :x"});
  CHECK(parsed("PRIVMSG bob :") == Lines{"PRIVMSG", "bob", ""});
  CHECK(parsed("PRIVMSG bob hi") == Lines{"PRIVMSG", "bob", "hi"});
  CHECK(parsed("A\tB c") == Lines{"A\tB", "c"});  // only spaces separate
}

TEST_CASE("parse: at most 15 params, the 15th taking the rest of the line") {
  CHECK(parsed("X 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17") ==
        Lines{"X", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14",
              "15 16 17"});
  CHECK(parsed("X 1 2 3 4 5 6 7 8 9 10 11 12 13 14 :15 16") == Lines{"X", "1", "2", "3", "4", "5",
                                                                     "6", "7", "8", "9", "10", "11",
                                                                     "12", "13", "14", "15 16"});
  IrcMessage message;
  REQUIRE(parse_irc_message("X 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", message));
  CHECK(message.count == IrcMessage::max_params);
  CHECK(message.param(15).empty());
  CHECK(message.param(99).empty());
}

// ---- registration ---------------------------------------------------------------------

TEST_CASE("NICK and USER, in either order, make one LOGIN; its OK is the welcome burst") {
  for (std::string_view input :
       {registration, std::string_view("USER alice 0 * :Alice A\r\nNICK alice\r\n")}) {
    Client client("");
    client.feed(input);
    CHECK(client.hub.seen == Lines{"login alice", "hub: " + welcome(client.shared, "alice")});
    CHECK(client.hub.lines == 2);
  }
}

TEST_CASE("the welcome burst: 003 names when the server started") {
  IrcProtocol shared{"socketchat"};
  const std::string& created = shared.created();
  REQUIRE(created.size() == 23);  // "2024-05-01 12:34:56 UTC"
  CHECK(created.substr(19) == " UTC");
  CHECK(created[4] == '-');
  CHECK(created[13] == ':');
}

TEST_CASE("PASS is accepted, USER needs four params, NICK one") {
  Client client("");
  client.feed("PASS secret\r\nUSER alice\r\nNICK\r\nNICK :\r\n");
  CHECK(client.hub.seen == Lines{"local: :socketchat 461 * USER :Not enough parameters\r\n",
                                 "local: :socketchat 431 * :No nickname given\r\n",
                                 "local: :socketchat 431 * :No nickname given\r\n"});
}

TEST_CASE("CAP LS holds the LOGIN until CAP END") {
  Client client("");
  client.feed("CAP LS 302\r\n" + std::string(registration) +
              "CAP REQ :chghost sasl\r\nCAP LIST\r\n");
  CHECK(client.hub.seen ==
        Lines{"local: :socketchat CAP * LS :multi-prefix sasl=PLAIN message-tags server-time "
              "echo-message batch draft/chathistory cap-notify account-notify away-notify "
              "userhost-in-names extended-join labeled-response\r\n",
              "local: :socketchat CAP * NAK :chghost sasl\r\n",
              // with CAP LS 302, cap-notify is on unasked (IRCv3)
              "local: :socketchat CAP * LIST :cap-notify\r\n"});
  client.hub.seen.clear();
  client.feed("CAP END\r\n");
  CHECK(client.hub.seen == Lines{"login alice", "hub: " + welcome(client.shared, "alice")});
  client.hub.seen.clear();
  client.feed("CAP BOGUS\r\nCAP LS\r\n");  // after registration: no hold, and the nick
  CHECK(client.hub.seen ==
        Lines{"local: :socketchat 410 alice BOGUS :Invalid CAP command\r\n",
              "local: :socketchat CAP alice LS :multi-prefix sasl message-tags server-time "
              "echo-message batch draft/chathistory cap-notify account-notify away-notify "
              "userhost-in-names extended-join labeled-response\r\n"});
}

TEST_CASE("CAP: sasl=PLAIN for LS 302, sasl before; REQ is all or nothing; REQ holds too") {
  Client client("");
  client.feed("CAP LS\r\nCAP LS 301\r\nCAP LS 302\r\nCAP LS 310\r\n");
  CHECK(client.hub.seen ==
        Lines{"local: :socketchat CAP * LS :multi-prefix sasl message-tags server-time "
              "echo-message batch draft/chathistory cap-notify account-notify away-notify "
              "userhost-in-names extended-join labeled-response\r\n",
              "local: :socketchat CAP * LS :multi-prefix sasl message-tags server-time "
              "echo-message batch draft/chathistory cap-notify account-notify away-notify "
              "userhost-in-names extended-join labeled-response\r\n",
              "local: :socketchat CAP * LS :multi-prefix sasl=PLAIN message-tags server-time "
              "echo-message batch draft/chathistory cap-notify account-notify away-notify "
              "userhost-in-names extended-join labeled-response\r\n",
              "local: :socketchat CAP * LS :multi-prefix sasl=PLAIN message-tags server-time "
              "echo-message batch draft/chathistory cap-notify account-notify away-notify "
              "userhost-in-names extended-join labeled-response\r\n"});
  client.hub.seen.clear();
  client.feed(
      "CAP REQ :sasl\r\nCAP LIST\r\nCAP REQ :-sasl\r\nCAP LIST\r\nCAP REQ :sasl nope\r\n"
      "CAP LIST\r\nCAP REQ :\r\nCAP REQ sasl\r\n");
  CHECK(client.hub.seen ==
        Lines{"local: :socketchat CAP * ACK :sasl\r\n",
              "local: :socketchat CAP * LIST :sasl cap-notify\r\n",  // on since LS 302
              "local: :socketchat CAP * ACK :-sasl\r\n",
              "local: :socketchat CAP * LIST :cap-notify\r\n",
              "local: :socketchat CAP * NAK :sasl nope\r\n",
              "local: :socketchat CAP * LIST :cap-notify\r\n", "local: :socketchat CAP * NAK :\r\n",
              "local: :socketchat CAP * ACK :sasl\r\n"});
  // CAP REQ without CAP LS holds registration until CAP END as well.
  Client fresh("");
  fresh.feed("CAP REQ :sasl\r\n" + std::string(registration));
  CHECK(fresh.hub.seen == Lines{"local: :socketchat CAP * ACK :sasl\r\n"});
  fresh.hub.seen.clear();
  fresh.feed("CAP END\r\n");
  CHECK(fresh.hub.seen == Lines{"login alice", "hub: " + welcome(fresh.shared, "alice")});
}

TEST_CASE("before registration, other commands get 451 and reach no Hub") {
  Client client("");
  client.feed("JOIN #a\r\nPRIVMSG bob :hi\r\nLIST\r\nNICK alice\r\n");
  CHECK(client.hub.seen == Lines{"local: :socketchat 451 * :You have not registered\r\n",
                                 "local: :socketchat 451 * :You have not registered\r\n",
                                 "local: :socketchat 451 * :You have not registered\r\n"});
  client.hub.seen.clear();
  client.feed("PING :early\r\n");  // allowed: clients probe the server before registering
  CHECK(client.hub.seen == Lines{"ping :early", "hub: :socketchat PONG socketchat :early\r\n"});
}

TEST_CASE("a taken nick gets 433 and the next NICK registers; an invalid one 432") {
  Client client("");
  client.feed("NICK Bob\r\nUSER x 0 * :X\r\n");
  CHECK(client.hub.seen ==
        Lines{"login Bob", "hub: :socketchat 433 * Bob :Nickname is already in use\r\n"});
  client.hub.seen.clear();
  client.feed("NICK _bad\r\n");
  CHECK(client.hub.seen ==
        Lines{"login _bad", "hub: :socketchat 432 * _bad :Erroneous nickname\r\n"});
  client.hub.seen.clear();
  client.feed("NICK carol\r\n");
  CHECK(client.hub.seen == Lines{"login carol", "hub: " + welcome(client.shared, "carol", "x")});
  CHECK(client.hub.nick == "carol");
}

TEST_CASE("after registration: NICK is a rename; the same nick is nothing; USER 462") {
  Client client;
  client.feed("NICK alice\r\nNICK ALICE\r\nNICK zed\r\nNICK bob\r\nNICK 9!\r\nUSER a 0 * :A\r\n");
  CHECK(client.hub.seen == Lines{"rename ALICE", "hub: :alice!~alice@socketchat NICK :ALICE\r\n",
                                 "rename zed", "hub: :ALICE!~alice@socketchat NICK :zed\r\n",
                                 "rename bob",
                                 "hub: :socketchat 433 zed bob :Nickname is already in use\r\n",
                                 "rename 9!", "hub: :socketchat 432 zed 9! :Erroneous nickname\r\n",
                                 "local: :socketchat 462 zed :You may not reregister\r\n"});
  // Refusals of a rename in IRC's words.
  for (const auto& [error, line] :
       {std::pair{ReplyError::rate_limited,
                  ":socketchat 438 zed eve :Nick change too fast. Please wait a while.\r\n"},
        std::pair{ReplyError::cannot_rename,
                  ":socketchat 447 zed :Cannot change nickname: it is an account's, or on a "
                  "cluster\r\n"},
        std::pair{ReplyError::muted,
                  ":socketchat 447 zed :Cannot change nickname while muted or banned\r\n"},
        std::pair{ReplyError::password_required,
                  ":socketchat 433 zed eve :Nickname is reserved for a registered account\r\n"},
        std::pair{ReplyError::banned,
                  ":socketchat 432 zed eve :Erroneous nickname (banned)\r\n"}}) {
    CAPTURE(code_of(error));
    client.hub.seen.clear();
    client.hub.refuse_rename = error;
    client.feed("NICK eve\r\n");
    CHECK(client.hub.seen == Lines{"rename eve", "hub: " + std::string(line)});
  }
}

TEST_CASE("what on_command says registers the client and asks a JOIN's names, not the replies") {
  Client fresh("");
  fresh.hub.says_refused = true;  // the LOGIN is answered OK, but said to be refused
  fresh.feed(registration);
  CHECK(fresh.hub.seen == Lines{"login alice", "hub: " + welcome(fresh.shared, "alice")});
  fresh.hub.seen.clear();
  fresh.feed("LIST\r\n");
  CHECK(fresh.hub.seen == Lines{"local: :socketchat 451 * :You have not registered\r\n"});

  Client client;
  client.hub.says_refused = true;  // the JOIN is answered OK, but said to be refused
  client.feed("JOIN #a\r\n");
  CHECK(client.hub.seen == Lines{"join a", "hub: :alice!~alice@socketchat JOIN #a\r\n"});
}

// ---- channels ---------------------------------------------------------------------------

TEST_CASE("JOIN #a,#b: join a, its NAMES, join b, its NAMES") {
  Client client;
  client.feed("JOIN #a,#b\r\n");
  CHECK(client.hub.seen == Lines{"join a", "hub: :alice!~alice@socketchat JOIN #a\r\n",
                                 "topic a (follow-up)", "who a (follow-up)",
                                 "hub: :socketchat 353 alice = #a :alice\r\n"
                                 ":socketchat 366 alice #a :End of /NAMES list.\r\n",
                                 "join b", "hub: :alice!~alice@socketchat JOIN #b\r\n",
                                 "topic b (follow-up)", "who b (follow-up)",
                                 "hub: :socketchat 353 alice = #b :alice\r\n"
                                 ":socketchat 366 alice #b :End of /NAMES list.\r\n"});
}

TEST_CASE("JOIN of a channel one is in says nothing and asks no NAMES; &public is skipped") {
  Client client;
  client.feed("JOIN #a\r\n");
  client.hub.seen.clear();
  client.feed("JOIN #A,&public,&PUBLIC\r\n");
  CHECK(client.hub.seen == Lines{"join A"});  // already_in_room is spelled as nothing
}

TEST_CASE("JOIN of what is no # channel is 403 locally; an invalid room 403 from the Hub") {
  Client client;
  client.feed("JOIN\r\nJOIN a,#,#b@d\r\n");
  CHECK(client.hub.seen == Lines{"local: :socketchat 461 alice JOIN :Not enough parameters\r\n",
                                 "local: :socketchat 403 alice a :No such channel\r\n",
                                 "local: :socketchat 403 alice # :No such channel\r\n", "join b@d",
                                 "hub: :socketchat 403 alice #b@d :No such channel\r\n"});
}

TEST_CASE("PART: the echo, 442 when not in it, &public cannot be left") {
  Client client;
  client.feed("JOIN #a\r\n");
  client.hub.seen.clear();
  client.feed("PART #a,#a,&public\r\n");
  CHECK(
      client.hub.seen ==
      Lines{"part a", "hub: :alice!~alice@socketchat PART #a\r\n", "part a",
            "hub: :socketchat 442 alice #a :You're not on that channel\r\n",
            "local: :socketchat NOTICE alice :&public is the public feed and cannot be left\r\n"});
}

// ---- messages ---------------------------------------------------------------------------

TEST_CASE("PRIVMSG to #room, &public or a nick is SAY, MSG or DM, the text cleaned") {
  Client client;
  client.feed("JOIN #a\r\n");
  client.hub.seen.clear();
  client.feed(
      "PRIVMSG #a :  hello\x01 there\x7f  \r\n"
      "privmsg &Public :to all\r\n"
      "PRIVMSG bob ::-) \x1b[1mbold\r\n"
      "PRIVMSG bob one-word\r\n");
  CHECK(client.hub.seen ==
        Lines{"say a :hello there", "msg :to all", "dm bob ::-) [1mbold", "dm bob :one-word"});
}

TEST_CASE("PRIVMSG to several targets: one command each, in order") {
  Client client;
  client.feed("JOIN #a\r\n");
  client.hub.seen.clear();
  client.feed("PRIVMSG #a,,&public,bob,carol,#b :hi\r\n");
  CHECK(client.hub.seen == Lines{"say a :hi", "msg :hi", "dm bob :hi", "dm carol :hi",
                                 "hub: :socketchat 401 alice carol :No such nick/channel\r\n",
                                 "say b :hi",
                                 "hub: :socketchat 404 alice #b :Cannot send to channel\r\n"});
}

TEST_CASE("PRIVMSG without recipient or text is answered locally") {
  Client client;
  client.feed("PRIVMSG\r\nPRIVMSG bob\r\nPRIVMSG bob :\x01\x02 \r\n");
  CHECK(client.hub.seen == Lines{"local: :socketchat 411 alice :No recipient given (PRIVMSG)\r\n",
                                 "local: :socketchat 412 alice :No text to send\r\n",
                                 "local: :socketchat 412 alice :No text to send\r\n"});
}

TEST_CASE("NOTICE is delivered as a notice, and its errors are spelled as nothing") {
  Client client;
  client.feed(
      "NOTICE\r\nNOTICE carol :hi\r\nNOTICE #nowhere :hi\r\n"
      "NOTICE &public :\r\nNOTICE bob :yo\r\n");
  // A NOTICE without text is nothing (and never answered).
  CHECK(client.hub.seen ==
        Lines{"dm carol :hi [notice]", "say nowhere :hi [notice]", "dm bob :yo [notice]"});
}

TEST_CASE("CTCP: ACTION is the action \"/me ...\", others are CTCP queries and replies") {
  Client client;
  client.feed(
      "PRIVMSG #a :\x01"
      "ACTION waves \x02hello\x02\x01\r\n"
      "PRIVMSG bob :\x01"
      "action  shrugs\r\n"  // no closing \x01, any case
      "PRIVMSG bob :\x01"
      "ACTION\x01\r\n"  // an action of nothing: 412
      "PRIVMSG bob :\x01VERSION\x01\r\n"
      "NOTICE alice :\x01VERSION irssi \x1b[1m1.4\x01\r\n"
      "PRIVMSG &public :\x01PING 123\x01\r\n"
      "PRIVMSG bob :/me types it\r\n");
  CHECK(client.hub.seen ==
        Lines{"say a :/me waves hello", "hub: :socketchat 404 alice #a :Cannot send to channel\r\n",
              "dm bob :/me shrugs", "local: :socketchat 412 alice :No text to send\r\n",
              "dm bob :VERSION [ctcp]", "dm alice :VERSION irssi [1m1.4 [ctcp reply]",
              "msg :PING 123 [ctcp]", "dm bob :/me types it"});
}

TEST_CASE("IRC spells kinds: NOTICE, CTCP between \\x01s, an action as CTCP ACTION") {
  const IrcProtocol shared{"socketchat"};
  auto spelled = [&](Notice notice, MessageKind kind, std::string_view text) {
    return std::string(shared
                           .encode({.notice = notice,
                                    .user = "bob",
                                    .text = text,
                                    .room = "r",
                                    .identity = {.user_name = "b"},
                                    .kind = kind})
                           .view());
  };
  CHECK(spelled(Notice::room_message, MessageKind::text, "/me waves") ==
        ":bob!~b@socketchat PRIVMSG #r :\x01"
        "ACTION waves\x01\r\n");
  CHECK(spelled(Notice::message, MessageKind::notice, "/me waves") ==
        ":bob!~b@socketchat NOTICE &public :\x01"
        "ACTION waves\x01\r\n");
  CHECK(spelled(Notice::message, MessageKind::notice, "hear ye") ==
        ":bob!~b@socketchat NOTICE &public :hear ye\r\n");
  CHECK(spelled(Notice::room_message, MessageKind::ctcp, "PING 1") ==
        ":bob!~b@socketchat PRIVMSG #r :\x01PING 1\x01\r\n");
  CHECK(spelled(Notice::room_message, MessageKind::ctcp_reply, "PING 1") ==
        ":bob!~b@socketchat NOTICE #r :\x01PING 1\x01\r\n");
  CHECK(spelled(Notice::room_message, MessageKind::text, "/me") ==
        ":bob!~b@socketchat PRIVMSG #r :/me\r\n");  // no action without words
  // A long action is cut into several, each an ACTION of at most 512 bytes.
  const std::string long_action = "/me " + std::string(1000, 'w');
  const std::string out = spelled(Notice::room_message, MessageKind::text, long_action);
  std::size_t lines = 0, ws = 0;
  for (std::size_t at = 0; at < out.size();) {
    const std::size_t end = out.find("\r\n", at);
    const std::string line = out.substr(at, end - at);
    CHECK(line.size() + 2 <= 512);
    const std::string head =
        ":bob!~b@socketchat PRIVMSG #r :\x01"
        "ACTION ";
    CHECK(line.starts_with(head));
    CHECK(line.ends_with("\x01"));
    ws += line.size() - head.size() - 1;
    ++lines;
    at = end + 2;
  }
  CHECK(lines == 3);
  CHECK(ws == 1000);
}

// ---- the rest -----------------------------------------------------------------------------

TEST_CASE("QUIT: the closing ERROR first, then the Hub's quit, and decoding stops") {
  Client client;
  std::string_view input = "QUIT :gone fishing\r\nPING x\r\n";
  CHECK(client.feed(input) == input.find("PING"));
  CHECK(client.hub.seen == Lines{"local: ERROR :Closing Link: alice (Quit: gone fishing)\r\n",
                                 "quit :gone fishing (follow-up)"});
  Client plain;
  plain.feed("QUIT\r\n");
  CHECK(plain.hub.seen ==
        Lines{"local: ERROR :Closing Link: alice (Quit: Client quit)\r\n", "quit (follow-up)"});
}

TEST_CASE("PING goes to the Hub with its token; PONG is only activity") {
  Client client;
  client.feed("PING :tok en\r\nPING\r\nPONG :socketchat\r\nPONG\r\n");
  CHECK(client.hub.seen == Lines{"ping :tok en", "hub: :socketchat PONG socketchat :tok en\r\n",
                                 "local: :socketchat 409 alice :No origin specified\r\n"});
  CHECK(client.hub.lines == 4);
}

TEST_CASE("unknown commands get 421; AWAY, USERHOST, user MODE are answered") {
  Client client;
  client.feed(
      "FLY away\r\nAWAY :lunch\r\nAWAY\r\nUSERHOST alice\r\nUSERHOST nobody\r\n"
      "MODE alice\r\nMODE alice +i\r\nMODE bob\r\nMODE &public\r\nMODE #a b\r\nMODE #a +o bob\r\n"
      "TOPIC #a :new\r\nTOPIC &public\r\n");
  CHECK(client.hub.seen ==
        Lines{"local: :socketchat 421 alice FLY :Unknown command\r\n", "away :lunch",
              "hub: :socketchat 306 alice :You have been marked as being away\r\n", "away",
              "hub: :socketchat 305 alice :You are no longer marked as being away\r\n",
              "user_info alice", "local: :socketchat 302 alice :alice=+~alice@socketchat\r\n",
              "user_info nobody", "local: :socketchat 302 alice :\r\n",
              "local: :socketchat 221 alice +\r\n",
              "local: :socketchat 502 alice :Cannot change mode for other users\r\n",
              "local: :socketchat 324 alice &public +nt\r\n", "mode a :b",
              "hub: :socketchat 403 alice #a :No such channel\r\n", "mode a :+o bob",
              "hub: :socketchat 403 alice #a :No such channel\r\n", "set_topic a :new",
              "hub: :socketchat 442 alice #a :You're not on that channel\r\n",
              "local: :socketchat 331 alice &public :No topic is set\r\n"});
}

TEST_CASE("USERHOST and ISON look up each nick and answer in one line; away is '-'") {
  Client client;
  client.hub.users.insert("carol");
  client.hub.away["carol"] = "out";
  client.feed("USERHOST alice nobody bob carol 9bad! x y z\r\nISON :carol nobody  Bob\r\n");
  CHECK(client.hub.seen ==
        Lines{"user_info alice", "user_info nobody (follow-up)", "user_info bob (follow-up)",
              "user_info carol (follow-up)", "user_info x (follow-up)",  // 5 at most
              "local: :socketchat 302 alice :alice=+~alice@socketchat bob=+~bob@socketchat "
              "carol=-~carol@socketchat\r\n",
              "user_info carol", "user_info nobody (follow-up)", "user_info Bob (follow-up)",
              "local: :socketchat 303 alice :carol Bob\r\n"});
  // More than one line holds: several lines, each of at most 512 bytes, cut between nicks.
  Client many;
  std::string ison = "ISON :";
  std::vector<std::string> nicks;
  for (int i = 0; i < 15; ++i) {  // a 500-byte ISON: its answer, with its head, is longer
    nicks.push_back(fmt::format("n{:02}", i) + std::string(29, 'x'));
    many.hub.users.insert(nicks.back());
    ison += (i == 0 ? "" : " ") + nicks.back();
  }
  REQUIRE(ison.size() == 500);
  many.feed(ison + "\r\n");
  const std::string& answer = many.hub.seen.back();
  REQUIRE(answer.starts_with("local: "));
  std::vector<std::string> listed;
  std::size_t lines = 0;
  for (std::string_view rest = std::string_view(answer).substr(7); !rest.empty();) {
    const std::size_t end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    CHECK(line.size() + 2 <= 512);
    REQUIRE(line.starts_with(":socketchat 303 alice :"));
    std::string_view words = line.substr(std::string_view(":socketchat 303 alice :").size());
    while (!words.empty()) {
      const std::size_t space = words.find(' ');
      listed.emplace_back(words.substr(0, space));
      words.remove_prefix(space == std::string_view::npos ? words.size() : space + 1);
    }
    ++lines;
    rest.remove_prefix(end + 2);
  }
  CHECK(lines == 2);
  CHECK(listed == nicks);
  // Fed again after a wait (the send queue was full): what was gathered stays, once.
  Client again;
  again.hub.retry_at = again.hub.calls + 3;  // the 302 must wait
  again.feed("USERHOST bob alice\r\n");
  again.feed("USERHOST bob alice\r\n");
  CHECK(again.hub.seen == Lines{"user_info bob", "user_info alice (follow-up)",
                                "local: :socketchat 302 alice :bob=+~bob@socketchat "
                                "alice=+~alice@socketchat\r\n"});
}

TEST_CASE("IRC masks: * for any run, ? for one byte, without regard to ASCII case") {
  CHECK(matches_mask("*", ""));
  CHECK(matches_mask("a*", "Alice"));
  CHECK(matches_mask("*ce", "alice"));
  CHECK(matches_mask("a?i*e", "ALICE"));
  CHECK(matches_mask("*l*c*", "alice"));
  CHECK(matches_mask("a**e", "ae"));
  CHECK_FALSE(matches_mask("a?", "a"));
  CHECK_FALSE(matches_mask("*x*", "alice"));
  CHECK_FALSE(matches_mask("alic", "alice"));
  CHECK_FALSE(matches_mask("", "a"));
}

TEST_CASE("the command table: 451 before registration, 421 unknown, 461 below the minimum") {
  Client fresh("");
  fresh.feed("join #a\r\nFLY\r\nUSER a\r\nPASS\r\nping\r\nNICK\r\n");
  CHECK(fresh.hub.seen == Lines{"local: :socketchat 451 * :You have not registered\r\n",
                                "local: :socketchat 451 * :You have not registered\r\n",
                                "local: :socketchat 461 * USER :Not enough parameters\r\n",
                                "local: :socketchat 461 * PASS :Not enough parameters\r\n",
                                "local: :socketchat 409 * :No origin specified\r\n",
                                "local: :socketchat 431 * :No nickname given\r\n"});
  // The 461 names the command as the table spells it, however the client did.
  Client client;
  client.feed("join\r\nPart\r\nTOPIC\r\nmode\r\nMODE :\r\nFLY\r\nUSER\r\nPASS x\r\nwhois\r\n");
  CHECK(client.hub.seen == Lines{"local: :socketchat 461 alice JOIN :Not enough parameters\r\n",
                                 "local: :socketchat 461 alice PART :Not enough parameters\r\n",
                                 "local: :socketchat 461 alice TOPIC :Not enough parameters\r\n",
                                 "local: :socketchat 461 alice MODE :Not enough parameters\r\n",
                                 "local: :socketchat 461 alice MODE :Not enough parameters\r\n",
                                 "local: :socketchat 421 alice FLY :Unknown command\r\n",
                                 "local: :socketchat 462 alice :You may not reregister\r\n",
                                 "local: :socketchat 462 alice :You may not reregister\r\n",
                                 "local: :socketchat 431 alice :No nickname given\r\n"});
}

TEST_CASE("NAMES, WHO, WHOIS, LIST, TOPIC and MODE of a room ask the Hub") {
  Client client;
  client.feed("JOIN #a\r\n");
  client.hub.seen.clear();
  client.feed(
      "NAMES #a,&public,x\r\nWHO #a\r\nWHO bob\r\nWHOIS bob\r\nWHOIS srv nobody\r\nLIST\r\n"
      "TOPIC #a\r\nMODE #a\r\nWHO #zz\r\n");
  CHECK(client.hub.seen ==
        Lines{"who a",
              "hub: :socketchat 353 alice = #a :alice\r\n"
              ":socketchat 366 alice #a :End of /NAMES list.\r\n",
              "who",
              "hub: :socketchat 353 alice = &public :bob alice\r\n"
              ":socketchat 366 alice &public :End of /NAMES list.\r\n",
              "local: :socketchat 366 alice x :End of /NAMES list.\r\n",
              "who a",
              "hub: :socketchat 352 alice #a ~alice socketchat socketchat alice H :0 alice\r\n"
              ":socketchat 315 alice #a :End of /WHO list.\r\n",
              "user_info bob",
              "hub: :socketchat 352 alice * ~bob socketchat socketchat bob H :0 bob\r\n"
              ":socketchat 315 alice bob :End of /WHO list.\r\n",
              "user_info bob",
              "hub: :socketchat 311 alice bob ~bob socketchat * :bob\r\n"
              ":socketchat 312 alice bob socketchat :socketchat\r\n"
              ":socketchat 318 alice bob :End of /WHOIS list.\r\n",
              "user_info nobody",
              "hub: :socketchat 401 alice nobody :No such nick/channel\r\n"
              ":socketchat 318 alice nobody :End of /WHOIS list.\r\n",
              "rooms",
              "hub: :socketchat 321 alice Channel :Users  Name\r\n:socketchat 322 alice #a 2 :\r\n"
              ":socketchat 322 alice #b 1 :\r\n:socketchat 323 alice :End of /LIST\r\n",
              "topic a",
              "hub: :socketchat 331 alice #a :No topic is set\r\n",
              "mode a",
              "hub: :socketchat 324 alice #a +nt\r\n:socketchat 329 alice #a 1700000000\r\n",
              "who zz",
              "hub: :socketchat 315 alice #zz :End of /WHO list.\r\n"});
}

TEST_CASE("WHOIS, TOPIC and MODE look up one nick or room: 401 and 318, or 403") {
  Client client;
  client.feed("TOPIC #zz\r\nMODE #ZZ\r\nWHOIS Bob,carol\r\n");
  CHECK(client.hub.seen == Lines{"topic zz", "hub: :socketchat 403 alice #zz :No such channel\r\n",
                                 "mode ZZ", "hub: :socketchat 403 alice #ZZ :No such channel\r\n",
                                 "user_info Bob",
                                 "hub: :socketchat 311 alice Bob ~Bob socketchat * :Bob\r\n"
                                 ":socketchat 312 alice Bob socketchat :socketchat\r\n"
                                 ":socketchat 318 alice Bob :End of /WHOIS list.\r\n"});
}

// ---- framing --------------------------------------------------------------------------------

TEST_CASE("CRLF and bare LF both end a line; a line may come in pieces") {
  Client client;
  for (std::string_view piece : {"PING a\nPING b\r", "\nPI", "NG c", "\r\n"}) client.feed(piece);
  CHECK(client.hub.seen == Lines{"ping :a", "hub: :socketchat PONG socketchat :a\r\n", "ping :b",
                                 "hub: :socketchat PONG socketchat :b\r\n", "ping :c",
                                 "hub: :socketchat PONG socketchat :c\r\n"});
  CHECK(client.irc.buffered() == 0);
  client.feed("PING partial");
  CHECK(client.irc.buffered() == 12);
}

TEST_CASE("a line over 510 bytes is refused once, and the next line works") {
  Client client;
  const std::string max = "PING :" + std::string(504, 'x');  // 510 bytes: the most allowed
  client.feed(max + "\r\n");
  REQUIRE(client.hub.seen.size() == 2);
  CHECK(client.hub.seen[0] == "ping :" + std::string(504, 'x'));
  client.hub.seen.clear();

  client.feed(max + "y\r\nPING ok\r\n");
  CHECK(client.hub.seen ==
        Lines{"error: line-too-long", "ping :ok", "hub: :socketchat PONG socketchat :ok\r\n"});
  client.hub.seen.clear();

  client.feed(max);  // too long known before its end: still one report
  for (int i = 0; i < 10; ++i) client.feed(std::string(100, 'z'));
  client.feed("\r\nPING ok\r\n");
  CHECK(client.hub.seen ==
        Lines{"error: line-too-long", "ping :ok", "hub: :socketchat PONG socketchat :ok\r\n"});
}

TEST_CASE("invalid UTF-8 is refused; blank lines are ignored; every line is activity") {
  Client client;
  client.feed("PRIVMSG bob :\xff\r\n\r\n   \r\n@tag\r\nPRIVMSG bob :caf\xc3\xa9\r\n");
  CHECK(client.hub.seen == Lines{"error: invalid-utf8", "dm bob :caf\xc3\xa9"});
  CHECK(client.hub.lines == 5);
}

// ---- the retry rule -----------------------------------------------------------------------

TEST_CASE("a retry at any step of a line issues the remaining steps exactly once") {
  SUBCASE("JOIN of two channels") {
    check_retries(registration, "JOIN #a,#b\r\n");
  }
  SUBCASE("JOIN with a channel one is in first") {
    check_retries(std::string(registration) + "JOIN #a\r\n", "JOIN #a,#b\r\n");
  }
  SUBCASE("JOIN with a channel one is in between") {
    check_retries(std::string(registration) + "JOIN #b\r\n", "JOIN #a,#b,#c\r\n");
  }
  SUBCASE("JOIN with local refusals in between") {
    check_retries(registration, "JOIN #a,x,#b\r\nPART #a,&public,#b\r\n");
  }
  SUBCASE("PRIVMSG to several targets") {
    check_retries(std::string(registration) + "JOIN #a\r\n", "PRIVMSG #a,#b,bob :hi\r\n");
  }
  SUBCASE("lines in a row") {
    check_retries(registration, "PING 1\r\nJOIN #a\r\nPING 2\r\nFOO\r\n");
  }
  SUBCASE("registration, USER last") {
    check_retries("", registration);
  }
  SUBCASE("registration, NICK last") {
    check_retries("", "USER a 0 * :A\r\nNICK alice\r\nPING x\r\n");
  }
  SUBCASE("registration at CAP END") {
    check_retries("CAP LS\r\nNICK alice\r\nUSER a 0 * :A\r\n", "CAP END\r\n");
  }
  SUBCASE("registration after a taken nick") {
    check_retries("", "NICK bob\r\nUSER a 0 * :A\r\nNICK alice\r\n");
  }
}

// ---- accounts: SASL PLAIN and PASS -------------------------------------------------------

namespace {

// What a SASL client sends before AUTHENTICATE: it asks for sasl, NICK and USER.
constexpr std::string_view sasl_start =
    "CAP LS 302\r\nNICK dave\r\nUSER dave 0 * :Dave\r\nCAP REQ :sasl\r\n";
// base64("\0dave\0password1"), and with a wrong password: base64("\0dave\0wrong-pass").
constexpr std::string_view dave_ok = "AGRhdmUAcGFzc3dvcmQx";
constexpr std::string_view dave_wrong = "AGRhdmUAd3JvbmctcGFzcw==";

std::string authenticate(std::string_view data) {
  return "AUTHENTICATE " + std::string(data) + "\r\n";
}

// 900 and 903 to `nick`, logged in to `account`.
// `user`: USER's user name, if not the nick.
std::string sasl_success(std::string_view nick, std::string_view account,
                         std::string_view user = {}) {
  const std::string n(nick), a(account), u(user.empty() ? nick : user);
  return ":socketchat 900 " + n + " " + n + "!~" + u + "@socketchat " + a +
         " :You are now logged in as " + a + "\r\n:socketchat 903 " + n +
         " :SASL authentication successful\r\n";
}

// A client that has asked for sasl, NICK dave and USER.
struct SaslClient : Client {
  SaslClient() : Client("") {
    feed(sasl_start);
    hub.seen.clear();
  }
};

}  // namespace

TEST_CASE("SASL PLAIN: +, the credentials, 900 and 903 at once, the welcome at CAP END") {
  SaslClient client;
  client.feed(authenticate("PLAIN") + authenticate(dave_ok));
  CHECK(client.hub.seen == Lines{"local: AUTHENTICATE +\r\n", "login dave secret=password1",
                                 "hub: " + sasl_success("dave", "dave")});
  CHECK(client.hub.nick == "dave");
  client.hub.seen.clear();
  client.feed("PRIVMSG bob :early\r\nCAP END\r\nPRIVMSG bob :hi\r\n");
  CHECK(client.hub.seen == Lines{"local: :socketchat 451 * :You have not registered\r\n",
                                 "local: " + welcome(client.shared, "dave"), "dm bob :hi"});
  client.hub.seen.clear();
  client.feed(authenticate("PLAIN") + "PASS x\r\n");
  CHECK(client.hub.seen ==
        Lines{"local: :socketchat 907 dave :You have already authenticated using SASL\r\n",
              "local: :socketchat 462 dave :You may not reregister\r\n"});
}

TEST_CASE("SASL: an authzid equal to the authcid is fine; the nick becomes the account's name") {
  Client client("");
  client.feed("CAP LS 302\r\nNICK zed\r\nUSER z 0 * :Z\r\nCAP REQ :sasl\r\n" +
              authenticate("PLAIN") + authenticate("ZGF2ZQBkYXZlAHBhc3N3b3JkMQ==") + "CAP END\r\n");
  CHECK(client.hub.seen ==
        Lines{"local: :socketchat CAP * LS :multi-prefix sasl=PLAIN message-tags server-time "
              "echo-message batch draft/chathistory cap-notify account-notify away-notify "
              "userhost-in-names extended-join labeled-response\r\n",
              "local: :socketchat CAP * ACK :sasl\r\n", "local: AUTHENTICATE +\r\n",
              "login dave secret=password1", "hub: " + sasl_success("dave", "dave", "z"),
              "local: " + welcome(client.shared, "dave", "z")});
}

TEST_CASE("SASL before NICK: the welcome waits for NICK, and is the account's name's") {
  Client client("");
  client.feed("CAP LS 302\r\nCAP REQ :sasl\r\n" + authenticate("PLAIN") + authenticate(dave_ok) +
              "USER d 0 * :D\r\nCAP END\r\n");
  CHECK(client.hub.seen ==
        Lines{"local: :socketchat CAP * LS :multi-prefix sasl=PLAIN message-tags server-time "
              "echo-message batch draft/chathistory cap-notify account-notify away-notify "
              "userhost-in-names extended-join labeled-response\r\n",
              "local: :socketchat CAP * ACK :sasl\r\n", "local: AUTHENTICATE +\r\n",
              "login dave secret=password1", "hub: " + sasl_success("dave", "dave")});
  client.hub.seen.clear();
  client.feed("NICK other\r\n");
  // USER came once the user was online (others may read its identity): not taken, the
  // nick stands in for the user name.
  CHECK(client.hub.seen == Lines{"local: " + welcome(client.shared, "dave")});
  CHECK(client.irc.identity().user_name.empty());
}

TEST_CASE("SASL failure: 904 to the nick asked, unregistered; a retry, or a guest's NICK") {
  SaslClient client;
  client.feed(authenticate("PLAIN") + authenticate(dave_wrong));
  CHECK(client.hub.seen == Lines{"local: AUTHENTICATE +\r\n", "login dave secret=wrong-pass",
                                 "hub: :socketchat 904 dave :SASL authentication failed\r\n"});
  CHECK(client.hub.nick.empty());
  client.hub.seen.clear();
  client.feed(authenticate("PLAIN") + authenticate(dave_ok));  // again, right
  CHECK(client.hub.seen == Lines{"local: AUTHENTICATE +\r\n", "login dave secret=password1",
                                 "hub: " + sasl_success("dave", "dave")});

  // Or, after the 904, CAP END: a guest's LOGIN of the nick, reserved for the account.
  SaslClient guest;
  guest.feed(authenticate("PLAIN") + authenticate(dave_wrong) + "CAP END\r\nNICK dave_\r\n");
  CHECK(guest.hub.seen ==
        Lines{"local: AUTHENTICATE +\r\n", "login dave secret=wrong-pass",
              "hub: :socketchat 904 dave :SASL authentication failed\r\n", "login dave",
              "hub: :socketchat 433 * dave :Nickname is reserved for a registered account\r\n",
              "login dave_", "hub: " + welcome(guest.shared, "dave_", "dave")});
}

TEST_CASE("SASL answered later: 900 and 903, or 904, when the Hub settles; input waits") {
  for (bool right : {true, false}) {
    CAPTURE(right);
    SaslClient client;
    client.hub.later = true;
    const std::string input =
        authenticate("PLAIN") + authenticate(right ? dave_ok : dave_wrong) + "CAP END\r\n";
    const std::size_t taken = client.feed(input);
    CHECK(input.substr(taken) == "CAP END\r\n");  // the Session keeps it until the answer
    CHECK(client.hub.seen ==
          Lines{"local: AUTHENTICATE +\r\n",
                right ? "login dave secret=password1" : "login dave secret=wrong-pass"});
    client.hub.seen.clear();
    client.hub.settle();
    CHECK(client.hub.seen ==
          Lines{right ? "hub: " + sasl_success("dave", "dave")
                      : "hub: :socketchat 904 dave :SASL authentication failed\r\n"});
    client.hub.seen.clear();
    client.hub.later = false;
    client.feed("CAP END\r\n");
    if (right) {
      CHECK(client.hub.seen == Lines{"local: " + welcome(client.shared, "dave")});
    } else {  // a guest's LOGIN of the nick asked, which is the account's
      CHECK(
          client.hub.seen ==
          Lines{"login dave",
                "hub: :socketchat 433 * dave :Nickname is reserved for a registered account\r\n"});
    }
  }
}

TEST_CASE("SASL chunks: 400 bytes each, a shorter one or + ends them") {
  // base64("\0erin\0" + 294 'A'): 400 bytes exactly, then "+".
  const std::string erin = "AGVyaW4A" + [] {
    std::string a;
    for (int i = 0; i < 98; ++i) a += "QUFB";
    return a;
  }();
  REQUIRE(erin.size() == 400);
  SaslClient client;
  client.feed(authenticate("PLAIN") + authenticate(erin));
  CHECK(client.hub.seen == Lines{"local: AUTHENTICATE +\r\n"});  // more to come
  client.feed(authenticate("+"));
  REQUIRE(client.hub.seen.size() == 3);
  CHECK(client.hub.seen[1] == "login erin secret=" + std::string(294, 'A'));
  CHECK(client.hub.seen[2] == "hub: " + sasl_success("erin", "erin", "dave"));

  // base64("\0fred\0" + 297 'A'): 404 bytes, as 400 and 4.
  const std::string fred = "AGZyZWQA" + erin.substr(8) + "QUFB";
  SaslClient other;
  other.feed(authenticate("PLAIN") + authenticate(fred.substr(0, 400)) +
             authenticate(fred.substr(400)));
  REQUIRE(other.hub.seen.size() == 3);
  CHECK(other.hub.seen[1] == "login fred secret=" + std::string(297, 'A'));
  CHECK(other.hub.seen[2] == "hub: " + sasl_success("fred", "fred", "dave"));
}

TEST_CASE(
    "SASL refusals made here: abort 906, other mechanisms 908 904, too long 905, bad data 904") {
  SaslClient client;
  client.feed(authenticate("*") + authenticate("PLAIN") + authenticate("*") +
              authenticate("EXTERNAL") + authenticate("PLAIN") +
              authenticate(std::string(401, 'A')) + authenticate("PLAIN") +
              authenticate("not base64!") + authenticate("PLAIN") +
              authenticate("Y2Fyb2wAZGF2ZQBwYXNzd29yZDE=") +      // "carol\0dave\0password1"
              authenticate("PLAIN") + authenticate("AGRhdmUA") +  // "\0dave\0": no password
              authenticate("PLAIN") + authenticate("+"));
  const std::string failed = "local: :socketchat 904 dave :SASL authentication failed\r\n";
  CHECK(client.hub.seen ==
        Lines{"local: :socketchat 906 dave :SASL authentication aborted\r\n",
              "local: AUTHENTICATE +\r\n",
              "local: :socketchat 906 dave :SASL authentication aborted\r\n",
              "local: :socketchat 908 dave PLAIN :are available SASL mechanisms\r\n", failed,
              "local: AUTHENTICATE +\r\n", "local: :socketchat 905 dave :SASL message too long\r\n",
              "local: AUTHENTICATE +\r\n", failed, "local: AUTHENTICATE +\r\n", failed,
              "local: AUTHENTICATE +\r\n", failed, "local: AUTHENTICATE +\r\n", failed});
  client.hub.seen.clear();
  // Before NICK, to "*"; AUTHENTICATE needs its parameter; after registration 462.
  Client early("");
  early.feed(authenticate("EXTERNAL") + "AUTHENTICATE\r\n");
  CHECK(early.hub.seen ==
        Lines{"local: :socketchat 908 * PLAIN :are available SASL mechanisms\r\n",
              "local: :socketchat 904 * :SASL authentication failed\r\n",
              "local: :socketchat 461 * AUTHENTICATE :Not enough parameters\r\n"});
  Client registered;
  registered.feed(authenticate("PLAIN"));
  CHECK(registered.hub.seen == Lines{"local: :socketchat 462 alice :You may not reregister\r\n"});
}

TEST_CASE("SASL: CAP END in the middle of an exchange registers a guest") {
  SaslClient client;
  client.feed("NICK carol\r\n" + authenticate("PLAIN") + "CAP END\r\n" + authenticate("*"));
  CHECK(client.hub.seen == Lines{"local: AUTHENTICATE +\r\n", "login carol",
                                 "hub: " + welcome(client.shared, "carol", "dave"),
                                 "local: :socketchat 462 carol :You may not reregister\r\n"});
}

TEST_CASE("a retry at any step of a SASL exchange issues each step once") {
  check_retries(sasl_start,
                authenticate("PLAIN") + authenticate(dave_ok) + "NICK x\r\nCAP END\r\nLIST\r\n");
  check_retries(sasl_start, authenticate("PLAIN") + authenticate(dave_wrong) + "CAP END\r\n");
  check_retries(sasl_start, authenticate("EXTERNAL") + authenticate("PLAIN") +
                                authenticate(std::string(400, 'A')) + authenticate("*"));
}

TEST_CASE("PASS is the password of the registration's LOGIN, for one attempt") {
  Client client("");
  client.feed("PASS password1\r\nNICK dave\r\nUSER d 0 * :D\r\n");
  CHECK(client.hub.seen == Lines{"login dave secret=password1 (optional)",
                                 "hub: " + welcome(client.shared, "dave", "d")});

  Client wrong("");
  wrong.feed("PASS nope-nope\r\nNICK dave\r\nUSER d 0 * :D\r\nNICK dave\r\n");
  CHECK(wrong.hub.seen == Lines{"login dave secret=nope-nope (optional)",
                                "hub: :socketchat 464 * :Password incorrect\r\n", "login dave",
                                "hub: :socketchat 433 * dave :Nickname is reserved for a "
                                "registered account\r\n"});
  wrong.hub.seen.clear();
  wrong.feed("PASS password1\r\nNICK dave\r\n");
  CHECK(wrong.hub.seen == Lines{"login dave secret=password1 (optional)",
                                "hub: " + welcome(wrong.shared, "dave", "d")});
  CHECK(wrong.hub.nick == "dave");

  // SASL's login wins: the PASS is not used.
  Client both("");
  both.feed("PASS nope-nope\r\n" + std::string(sasl_start) + authenticate("PLAIN") +
            authenticate(dave_ok) + "CAP END\r\n");
  CHECK(both.hub.seen.back() == "local: " + welcome(both.shared, "dave"));
  CHECK(both.hub.seen[3] == "login dave secret=password1");
  CHECK(both.hub.seen.size() == 6);
  Client empty("");
  empty.feed("PASS\r\n");
  CHECK(empty.hub.seen == Lines{"local: :socketchat 461 * PASS :Not enough parameters\r\n"});
}

TEST_CASE("the refusals of a registration's or a SASL LOGIN") {
  auto no = [](ReplyError error) { return refusal(error); };
  const std::string_view reg = "NICK dave\r\nUSER u 0 * :U";
  CHECK(answer(reg, no(ReplyError::password_required), "") ==
        ":socketchat 433 * dave :Nickname is reserved for a registered account\r\n");
  for (auto error : {ReplyError::bad_credentials, ReplyError::invalid_password,
                     ReplyError::weak_password, ReplyError::password_too_long}) {
    CHECK(answer(reg, no(error), "") == ":socketchat 464 * :Password incorrect\r\n");
  }
  CHECK(answer(reg, no(ReplyError::tls_required), "") ==
        ":socketchat 464 * :Password refused: a password needs TLS here (ircs://)\r\n");
  CHECK(answer(reg, no(ReplyError::login_throttled), "") ==
        ":socketchat 464 * :Password refused: too many failed logins, try again later\r\n");
  CHECK(answer(reg, no(ReplyError::server_busy), "") ==
        ":socketchat 263 * USER :Please wait a while and try again.\r\n");
  CHECK(answer(reg, no(ReplyError::storage_failed), "") ==
        ":socketchat 263 * USER :Please wait a while and try again.\r\n");

  const std::string sasl =
      std::string(sasl_start) + authenticate("PLAIN") + "AUTHENTICATE " + std::string(dave_ok);
  const std::string failed = ":socketchat 904 dave :SASL authentication failed";
  for (auto error : {ReplyError::bad_credentials, ReplyError::invalid_username,
                     ReplyError::invalid_password, ReplyError::password_too_long}) {
    CHECK(answer(sasl, no(error), "") == failed + "\r\n");
  }
  CHECK(answer(sasl, no(ReplyError::tls_required), "") ==
        failed + ": a password needs TLS here (ircs://)\r\n");
  CHECK(answer(sasl, no(ReplyError::login_throttled), "") ==
        failed + ": too many failed logins, try again later\r\n");
  CHECK(answer(sasl, no(ReplyError::server_busy), "") ==
        failed + ": the server is busy, try again later\r\n");
  CHECK(answer(sasl, no(ReplyError::username_taken), "") ==
        failed + ": the account is in use on another connection\r\n");
  CHECK(answer("AUTHENTICATE PLAIN\r\nAUTHENTICATE " + std::string(dave_ok),
               no(ReplyError::bad_credentials),
               "") == ":socketchat 904 * :SASL authentication failed\r\n");  // before NICK
}

// ---- encoding: the Hub's answers ------------------------------------------------------------

TEST_CASE("registration refusals are spelled for the nick asked, to '*'") {
  CHECK(answer("NICK _x\r\nUSER u 0 * :U", refusal(ReplyError::invalid_username), "") ==
        ":socketchat 432 * _x :Erroneous nickname\r\n");
  CHECK(answer("NICK Bob\r\nUSER u 0 * :U", refusal(ReplyError::username_taken), "") ==
        ":socketchat 433 * Bob :Nickname is already in use\r\n");
  CHECK(answer("NICK a\r\nUSER u 0 * :U", refusal(ReplyError::already_logged_in), "") ==
        ":socketchat 462 * :You may not reregister\r\n");
  CHECK(answer("NICK a\r\nUSER u 0 * :U", refusal(ReplyError::missing_argument), "") ==
        ":socketchat 461 * USER :Not enough parameters\r\n");  // the LOGIN came with USER
  CHECK(answer("JOIN #a", refusal(ReplyError::not_logged_in), "") ==
        ":socketchat 451 * :You have not registered\r\n");
}

TEST_CASE("each refusal, in the context of the commands that get it") {
  auto no = [](ReplyError error) { return refusal(error); };
  // PRIVMSG
  CHECK(answer("PRIVMSG bob :hi", no(ReplyError::no_such_user)) ==
        ":socketchat 401 alice bob :No such nick/channel\r\n");
  CHECK(answer("PRIVMSG #a :hi", no(ReplyError::not_in_room)) ==
        ":socketchat 404 alice #a :Cannot send to channel\r\n");
  CHECK(answer("PRIVMSG #a :hi", no(ReplyError::message_rejected)) ==
        ":socketchat 404 alice #a :Cannot send to channel (message rejected)\r\n");
  CHECK(answer("PRIVMSG &public :hi", no(ReplyError::empty_message)) ==
        ":socketchat 412 alice :No text to send\r\n");
  CHECK(answer("PRIVMSG # :hi", no(ReplyError::missing_argument)) ==
        ":socketchat 461 alice PRIVMSG :Not enough parameters\r\n");
  CHECK(answer("privmsg bob :hi", no(ReplyError::rate_limited)) ==
        ":socketchat 263 alice privmsg :Please wait a while and try again.\r\n");
  CHECK(answer("PRIVMSG #a :hi", no(ReplyError::storage_failed)) ==
        ":socketchat NOTICE alice :A message could not be stored, so it was not sent\r\n");
  // JOIN, PART
  CHECK(answer("JOIN #b@d", no(ReplyError::invalid_room)) ==
        ":socketchat 403 alice #b@d :No such channel\r\n");
  CHECK(answer("JOIN #a", no(ReplyError::already_in_room)).empty());
  CHECK(answer("JOIN #a", no(ReplyError::rate_limited)) ==
        ":socketchat 263 alice JOIN :Please wait a while and try again.\r\n");
  CHECK(answer("PART #a", no(ReplyError::not_in_room)) ==
        ":socketchat 442 alice #a :You're not on that channel\r\n");
  // NAMES, WHO, TOPIC, MODE of a room that is not there
  CHECK(answer("NAMES #x", no(ReplyError::no_such_room)) ==
        ":socketchat 366 alice #x :End of /NAMES list.\r\n");
  CHECK(answer("WHO #x", no(ReplyError::no_such_room)) ==
        ":socketchat 315 alice #x :End of /WHO list.\r\n");
  CHECK(answer("TOPIC #x", no(ReplyError::no_such_room)) ==
        ":socketchat 403 alice #x :No such channel\r\n");
  CHECK(answer("MODE #x", no(ReplyError::no_such_room)) ==
        ":socketchat 403 alice #x :No such channel\r\n");
  // Any command
  CHECK(answer("LIST", no(ReplyError::unknown_command)) ==
        ":socketchat 421 alice LIST :Unknown command\r\n");
  CHECK(answer("LIST", no(ReplyError::line_too_long)) ==
        ":socketchat 417 alice :Input line was too long\r\n");
  CHECK(answer("LIST", no(ReplyError::invalid_utf8)) ==
        ":socketchat NOTICE alice :Line ignored: not valid UTF-8\r\n");
  CHECK(answer("LIST", no(ReplyError::already_logged_in)) ==
        ":socketchat 462 alice :You may not reregister\r\n");
  CHECK(answer("LIST", no(ReplyError::invalid_count)) ==
        ":socketchat NOTICE alice :invalid-count\r\n");
  CHECK(answer("LIST", no(ReplyError::server_full)) == ":socketchat NOTICE alice :server-full\r\n");
}

TEST_CASE("NOTICE gets no error back, whatever it is") {
  for (int e = 0; e <= static_cast<int>(last_reply_error); ++e) {
    CAPTURE(e);
    CHECK(answer("NOTICE bob :hi", refusal(static_cast<ReplyError>(e))).empty());
  }
}

TEST_CASE("OK to JOIN and PART is their echo; to anything else nothing") {
  CHECK(answer("JOIN #Room", {.notice = Notice::ok}) == ":alice!~alice@socketchat JOIN #Room\r\n");
  CHECK(answer("PART #Room", {.notice = Notice::ok}) == ":alice!~alice@socketchat PART #Room\r\n");
  CHECK(answer("PRIVMSG bob :x", {.notice = Notice::ok}).empty());
  CHECK(answer("LIST", {.notice = Notice::ok}).empty());
}

TEST_CASE("pong, help, history, inactivity and a direct message, on the connection") {
  CHECK(answer("PING :t", {.notice = Notice::pong, .text = "t"}) ==
        ":socketchat PONG socketchat :t\r\n");
  CHECK(answer("PING :t", {.notice = Notice::pong}) == ":socketchat PONG socketchat :\r\n");
  CHECK(answer("LIST", {.notice = Notice::help}).empty());
  CHECK(answer("LIST", {.notice = Notice::history}).empty());
  CHECK(answer("LIST", {.notice = Notice::inactivity}) ==
        "ERROR :Closing Link: alice (Ping timeout)\r\n");
  CHECK(answer("LIST", {.notice = Notice::direct_message, .user = "bob", .text = "psst"}) ==
        ":bob!~bob@socketchat PRIVMSG alice :psst\r\n");
  // Broadcasts a connection's encoder is given are spelled as the shared protocol does.
  CHECK(answer("LIST", {.notice = Notice::joined, .user = "bob", .room = "a"}) ==
        ":bob!~bob@socketchat JOIN #a\r\n");
  CHECK(answer("LIST", {.notice = Notice::shutting_down}) ==
        "ERROR :Closing Link: (Server shutting down)\r\n");
}

// ---- encoding: broadcasts -------------------------------------------------------------------

TEST_CASE("broadcasts, byte for byte, the same for every IRC connection") {
  std::string_view gone[] = {"bob", "carol", "dave"};
  CHECK(broadcast(
            {.notice = Notice::room_message, .user = "bob", .text = "hi all", .room = "room"}) ==
        ":bob!~bob@socketchat PRIVMSG #room :hi all\r\n");
  CHECK(broadcast({.notice = Notice::message, .user = "bob", .text = "hello"}) ==
        ":bob!~bob@socketchat PRIVMSG &public :hello\r\n");
  CHECK(broadcast({.notice = Notice::joined, .user = "bob", .room = "Room"}) ==
        ":bob!~bob@socketchat JOIN #Room\r\n");
  CHECK(broadcast({.notice = Notice::left, .user = "bob", .room = "room"}) ==
        ":bob!~bob@socketchat PART #room\r\n");
  CHECK(broadcast({.notice = Notice::user_disconnected, .user = "bob"}) ==
        ":bob!~bob@socketchat QUIT :Quit\r\n");
  CHECK(broadcast({.notice = Notice::user_disconnected, .names = gone}) ==
        ":bob!~bob@socketchat QUIT :Quit\r\n:carol!~carol@socketchat QUIT :Quit\r\n"
        ":dave!~dave@socketchat QUIT :Quit\r\n");
  CHECK(broadcast({.notice = Notice::inactivity}) == "ERROR :Closing Link: (Ping timeout)\r\n");
  CHECK(broadcast({.notice = Notice::banned}) == "ERROR :Closing Link: (Banned)\r\n");
  CHECK(broadcast({.notice = Notice::name_taken}) == "ERROR :Closing Link: (Nick collision)\r\n");
  CHECK(broadcast({.notice = Notice::shutting_down}) ==
        "ERROR :Closing Link: (Server shutting down)\r\n");
  CHECK(broadcast(refusal(ReplyError::server_full)) == "ERROR :Closing Link: (Server full)\r\n");
  CHECK(broadcast(refusal(ReplyError::too_many_connections)) ==
        "ERROR :Closing Link: (Too many connections from your address)\r\n");
  CHECK(broadcast(refusal(ReplyError::rate_limited)) == ":socketchat NOTICE * :rate-limited\r\n");
  CHECK(broadcast({.notice = Notice::ok}).empty());  // replies are the connection's to spell
  CHECK(broadcast({.notice = Notice::pong}).empty());
  IrcProtocol shared{"socketchat"};
  CHECK(shared.keepalive_probe().view() == "PING :socketchat\r\n");
  IrcConnection connection(shared);
  // A connection spells a broadcast exactly as the shared protocol does.
  const ServerMessage message{.notice = Notice::message, .user = "alice", .text = "hi"};
  CHECK(connection.encode(message).view() == shared.encode(message).view());
  CHECK(&connection.encoder() == &connection);
}

TEST_CASE("extended-join: a form of its own tells the joiner's account and real name") {
  const IrcProtocol shared{"socketchat"};
  const ServerMessage guest{.notice = Notice::joined,
                            .user = "bob",
                            .room = "room",
                            .identity = {.user_name = "b", .real_name = "Bob Ross"}};
  ServerMessage owner = guest;
  owner.identity.account = "bob";
  const Protocol* extended = shared.form(cap_extended_join);
  REQUIRE(extended != nullptr);
  CHECK(extended != shared.form(0));
  CHECK(extended->encode(guest).view() == ":bob!~b@socketchat JOIN #room * :Bob Ross\r\n");
  CHECK(extended->encode(owner).view() == ":bob!~b@socketchat JOIN #room bob :Bob Ross\r\n");
  // Without a real name (a line user), the nick; without the capability, the old JOIN.
  CHECK(extended->encode({.notice = Notice::joined, .user = "lina", .room = "room"}).view() ==
        ":lina!~lina@socketchat JOIN #room * :lina\r\n");
  CHECK(shared.encode(owner).view() == ":bob!~b@socketchat JOIN #room\r\n");
  // With the tag capabilities too, a form of its own; a message is spelled as without it.
  const Protocol* tagged = shared.form(cap_extended_join | cap_server_time);
  CHECK(tagged != extended);
  CHECK(tagged->encode(owner).view() == ":bob!~b@socketchat JOIN #room bob :Bob Ross\r\n");
  const ServerMessage said{
      .notice = Notice::room_message, .user = "bob", .text = "hi", .room = "r"};
  CHECK(extended->encode(said).view() == shared.encode(said).view());
}

TEST_CASE("353: as many names as fit in 512 bytes a line, each name exactly once") {
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) {
    std::string name = "user" + std::to_string(i) + "_";
    name.resize(32 - i % 7, static_cast<char>('a' + i % 26));
    names.push_back(std::move(name));
  }
  std::vector<std::string_view> views(names.begin(), names.end());
  const std::string out = answer("NAMES #big", {.notice = Notice::user_list, .names = views});

  const std::string head = ":socketchat 353 alice = #big :";
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < out.size();) {
    std::size_t end = out.find("\r\n", at);
    REQUIRE(end != std::string::npos);
    lines.push_back(out.substr(at, end - at));
    at = end + 2;
  }
  REQUIRE(lines.size() >= 3);
  CHECK(lines.back() == ":socketchat 366 alice #big :End of /NAMES list.");
  std::vector<std::string> listed;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    const std::string& line = lines[i];
    CAPTURE(line);
    CHECK(line.size() <= IrcProtocol::max_line_bytes);
    CHECK(line.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
    REQUIRE(line.rfind(head, 0) == 0);
    std::string_view rest = std::string_view(line).substr(head.size());
    while (!rest.empty()) {
      std::size_t space = rest.find(' ');
      listed.emplace_back(rest.substr(0, space));
      rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
    }
    if (i + 2 < lines.size()) {  // full: the next name would not have fitted
      CHECK(line.size() + 1 + names[listed.size()].size() > IrcProtocol::max_line_bytes);
    }
  }
  CHECK(listed == names);  // all, in order, none twice

  // No names: only the end.
  CHECK(answer("NAMES #none", {.notice = Notice::user_list}) ==
        ":socketchat 366 alice #none :End of /NAMES list.\r\n");
}

// ---- what a client sends never breaks the lines it gets back -----------------------------------

namespace {

// Each line of `payload` ends in CR LF, holds no other CR, LF or NUL, and is at most
// 512 bytes with its CR LF (RFC 2812 2.3).
bool are_irc_lines(std::string_view payload) {
  if (payload.empty()) return false;
  while (!payload.empty()) {
    std::size_t end = payload.find("\r\n");
    if (end == std::string_view::npos || end > IrcProtocol::max_line_bytes) return false;
    if (payload.substr(0, end).find_first_of(std::string_view("\r\n\0", 3)) !=
        std::string_view::npos) {
      return false;
    }
    payload.remove_prefix(end + 2);
  }
  return true;
}

}  // namespace

TEST_CASE("a NUL or a bare CR a client sent comes back in replies as '?'") {
  using namespace std::literals;
  Client client;
  client.feed("JOIN #a\0b\r\nFOO\0\r\nWHOIS no\rbody\r\nQUIT :x\ry\r\n"sv);
  CHECK(client.hub.seen ==
        Lines{"join a\0b"s, "hub: :socketchat 403 alice #a?b :No such channel\r\n",
              "local: :socketchat 421 alice FOO? :Unknown command\r\n", "user_info no\rbody"s,
              "hub: :socketchat 401 alice no?body :No such nick/channel\r\n"
              ":socketchat 318 alice no?body :End of /WHOIS list.\r\n",
              "local: ERROR :Closing Link: alice (Quit: x?y)\r\n", "quit :xy (follow-up)"});
}

TEST_CASE("a reply or broadcast made long by what a client sent still comes in 512-byte lines") {
  // Replies that echo what the client sent.
  CHECK(are_irc_lines(answer("JOIN #" + std::string(490, 'c'), refusal(ReplyError::invalid_room))));
  CHECK(are_irc_lines(
      answer("PRIVMSG " + std::string(490, 'b') + " :x", refusal(ReplyError::no_such_user))));
  Client client;
  client.feed(std::string(500, 'X') + "\r\nQUIT :" + std::string(500, 'r') + "\r\n");
  REQUIRE(client.hub.seen.size() == 3);
  CHECK(are_irc_lines(client.hub.seen[0].substr(7)));  // 421 with the command
  CHECK(are_irc_lines(client.hub.seen[1].substr(7)));  // the closing ERROR with the reason

  // A message with its sender's source before it: as many PRIVMSG lines as it takes,
  // cut between UTF-8 characters (here where byte 510 falls inside the second "é").
  const std::string nick(32, 'n');
  const std::string source = ":" + nick + "!~" + nick.substr(0, 10) + "@socketchat PRIVMSG ";
  const std::string e = "\xc3\xa9";
  const std::string text = std::string(438, 't') + e + e + e + e;
  CHECK(broadcast({.notice = Notice::room_message, .user = nick, .text = text, .room = "r"}) ==
        source + "#r :" + std::string(438, 't') + e + "\r\n" + source + "#r :" + e + e + e +
            "\r\n");
  // A line user's 4000 bytes: every byte arrives, in order.
  const std::string long_text(4000, 'm');
  for (const auto& [encoded, target] :
       {std::pair{broadcast({.notice = Notice::message, .user = nick, .text = long_text}),
                  std::string("&public")},
        std::pair{
            answer("LIST", {.notice = Notice::direct_message, .user = nick, .text = long_text}),
            std::string("alice")}}) {
    CAPTURE(target);
    CHECK(are_irc_lines(encoded));
    std::string joined;
    const std::string head = source + target + " :";
    for (std::size_t at = 0; at < encoded.size();) {
      const std::size_t end = encoded.find("\r\n", at);
      REQUIRE(encoded.compare(at, head.size(), head) == 0);
      joined += encoded.substr(at + head.size(), end - at - head.size());
      at = end + 2;
    }
    CHECK(joined == long_text);
  }
}

// ---- the room limits and long lists (IRC.md, Limits) ----------------------------------

TEST_CASE("a JOIN past the user's room limit is 405, past the server's 437") {
  CHECK(answer("JOIN #a", refusal(ReplyError::too_many_rooms)) ==
        ":socketchat 405 alice #a :You have joined too many channels\r\n");
  CHECK(answer("JOIN #a", refusal(ReplyError::server_rooms_full)) ==
        ":socketchat 437 alice #a :Cannot create channel: the server has too many channels\r\n");
}

TEST_CASE("the welcome's 005 has CHANLIMIT=#:<n> when users have a room limit") {
  Client client("");
  client.hub.room_limit = 20;
  client.feed(registration);
  std::string expected = welcome(client.shared, "alice");
  const std::string_view chantypes = "CHANTYPES=#& ";
  expected.insert(expected.find(chantypes) + chantypes.size(), "CHANLIMIT=#:20 ");
  CHECK(client.hub.seen == Lines{"login alice", "hub: " + expected});
}

namespace {

std::string irc_more(std::string_view command, int left) {
  return ":socketchat 416 alice " + std::string(command) + " :output too large, truncated (" +
         std::to_string(left) + " more)\r\n";
}

}  // namespace

TEST_CASE("LIST longer than max_bytes: the first rooms that fit, 416, 323") {
  const RoomSummary rooms[] = {{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 5}, {"f", 6}};
  auto list = [&](std::size_t max_bytes) {
    return answer("LIST", {.notice = Notice::room_list, .rooms = rooms, .max_bytes = max_bytes});
  };
  const std::string head = ":socketchat 321 alice Channel :Users  Name\r\n";  // 44 bytes
  auto room = [](char name, int members) {                                    // 30 bytes
    return ":socketchat 322 alice #" + std::string(1, name) + " " + std::to_string(members) +
           " :\r\n";
  };
  const std::string end = ":socketchat 323 alice :End of /LIST\r\n";  // 37 bytes
  const std::string all = head + room('a', 1) + room('b', 2) + room('c', 3) + room('d', 4) +
                          room('e', 5) + room('f', 6) + end;
  REQUIRE(all.size() == 261);
  REQUIRE(irc_more("LIST", 3).size() == 66);
  CHECK(list(0) == all);
  CHECK(list(261) == all);
  // One byte less: not all. The 416 is longer than two rooms, so three go for it.
  const std::string three =
      head + room('a', 1) + room('b', 2) + room('c', 3) + irc_more("LIST", 3) + end;
  CHECK(three.size() == 237);
  CHECK(list(260) == three);
  CHECK(list(237) == three);
  CHECK(list(236) == head + room('a', 1) + room('b', 2) + irc_more("LIST", 4) + end);
  // Nothing fits: the head and the end, told how many were left out.
  CHECK(list(10) == head + irc_more("LIST", 6) + end);
}

TEST_CASE("NAMES longer than max_bytes is cut inside a 353 line, then 416, 366") {
  const std::string_view names[] = {"alice", "Bob", "carol"};
  auto names_reply = [&](std::size_t max_bytes) {
    return answer("NAMES #r",
                  {.notice = Notice::user_list, .names = names, .max_bytes = max_bytes});
  };
  const std::string end = ":socketchat 366 alice #r :End of /NAMES list.\r\n";  // 47 bytes
  const std::string all = ":socketchat 353 alice = #r :alice Bob carol\r\n" + end;
  REQUIRE(all.size() == 92);
  CHECK(names_reply(92) == all);
  // Less: the 416 (67 bytes) leaves no room for any name, so it comes alone.
  CHECK(names_reply(91) == irc_more("NAMES", 3) + end);

  // 20 names of 20 characters: one 353 line of 449 bytes, 496 with the 366.
  std::vector<std::string> twenty;
  for (int i = 0; i < 20; ++i) twenty.push_back("name" + std::to_string(100 + i) + "_abcdefghijkl");
  std::vector<std::string_view> twenty_views(twenty.begin(), twenty.end());
  auto cut_at = [&](std::size_t kept) {
    std::string line = ":socketchat 353 alice = #r :";
    for (std::size_t i = 0; i < kept; ++i) line += (i ? " " : "") + twenty[i];
    return line + "\r\n" + irc_more("NAMES", static_cast<int>(20 - kept)) + end;
  };
  auto twenty_reply = [&](std::size_t max_bytes) {
    return answer("NAMES #r",
                  {.notice = Notice::user_list, .names = twenty_views, .max_bytes = max_bytes});
  };
  REQUIRE(cut_at(10).size() == 354);
  REQUIRE(cut_at(17).size() == 500);
  CHECK(twenty_reply(495) == cut_at(16));
  CHECK(twenty_reply(354) == cut_at(10));
  CHECK(twenty_reply(353) == cut_at(9));
  CHECK(twenty_reply(496).size() == 496);  // whole

  // Hundreds of names over several 353 lines: as many as fit, in order, each once.
  std::vector<std::string> many;
  for (int i = 0; i < 300; ++i) many.push_back("user" + std::to_string(1000 + i) + "_abcdefghij");
  std::vector<std::string_view> views(many.begin(), many.end());
  const std::string out =
      answer("NAMES #big", {.notice = Notice::user_list, .names = views, .max_bytes = 2000});
  CHECK(out.size() <= 2000);
  Lines lines;
  for (std::size_t at = 0; at < out.size();) {
    std::size_t line_end = out.find("\r\n", at);
    REQUIRE(line_end != std::string::npos);
    lines.push_back(out.substr(at, line_end - at));
    at = line_end + 2;
  }
  REQUIRE(lines.size() >= 4);
  std::vector<std::string> listed;
  const std::string head = ":socketchat 353 alice = #big :";
  for (std::size_t i = 0; i + 2 < lines.size(); ++i) {
    REQUIRE(lines[i].rfind(head, 0) == 0);
    CHECK(lines[i].size() <= IrcProtocol::max_line_bytes);
    std::string_view rest = std::string_view(lines[i]).substr(head.size());
    while (!rest.empty()) {
      std::size_t space = rest.find(' ');
      listed.emplace_back(rest.substr(0, space));
      rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
    }
  }
  CHECK(listed == std::vector<std::string>(many.begin(), many.begin() + listed.size()));
  const int left = static_cast<int>(many.size() - listed.size());
  CHECK(lines[lines.size() - 2] + "\r\n" == irc_more("NAMES", left));
  CHECK(lines.back() == ":socketchat 366 alice #big :End of /NAMES list.");
  // The next name would not have fitted (it needs at least a space and itself).
  CHECK(out.size() + 1 + many[listed.size()].size() > 2000);
}

TEST_CASE("WHO longer than max_bytes: the first users that fit, 416, 315; WHO nick is one line") {
  const std::string_view names[] = {"alice", "Bob", "carol"};
  auto who = [&](std::string_view line, std::size_t max_bytes) {
    return answer(line, {.notice = Notice::user_list, .names = names, .max_bytes = max_bytes});
  };
  auto user = [](std::string_view channel, std::string_view name) {
    return ":socketchat 352 alice " + std::string(channel) + " ~" + std::string(name) +
           " socketchat socketchat " + std::string(name) + " H :0 " + std::string(name) + "\r\n";
  };
  const std::string end = ":socketchat 315 alice #r :End of /WHO list.\r\n";
  const std::string all = user("#r", "alice") + user("#r", "Bob") + user("#r", "carol") + end;
  CHECK(who("WHO #r", 0) == all);
  CHECK(who("WHO #r", all.size()) == all);
  // One byte less: the 416 (65 bytes) is shorter than carol's 352 (72), so it takes its place.
  REQUIRE(irc_more("WHO", 1).size() == 65);
  REQUIRE(user("#r", "carol").size() == 72);
  CHECK(who("WHO #r", all.size() - 1) ==
        user("#r", "alice") + user("#r", "Bob") + irc_more("WHO", 1) + end);
  CHECK(who("WHO #r", all.size() - 8) == user("#r", "alice") + irc_more("WHO", 2) + end);
  CHECK(who("WHO #r", 1) == irc_more("WHO", 3) + end);
  // WHO nick looks the user up (user_info): one 352 at most, whatever the limit.
  CHECK(answer("WHO carol", {.notice = Notice::user_info, .user = "carol"}) ==
        user("*", "carol") + ":socketchat 315 alice carol :End of /WHO list.\r\n");
}

TEST_CASE("JOIN's keys go with their channels; a topic shows after the JOIN echo") {
  Client client;
  client.hub.topics["b"] = "tea at five";
  client.feed("JOIN #a,#b,#c k1,k2\r\n");
  CHECK(client.hub.seen ==
        Lines{"join a secret=k1", "hub: :alice!~alice@socketchat JOIN #a\r\n",
              "topic a (follow-up)", "who a (follow-up)",
              "hub: :socketchat 353 alice = #a :alice\r\n:socketchat 366 alice #a :End of /NAMES "
              "list.\r\n",
              "join b secret=k2", "hub: :alice!~alice@socketchat JOIN #b\r\n",
              "topic b (follow-up)",
              "hub: :socketchat 332 alice #b :tea at five\r\n:socketchat 333 alice #b bob "
              "1700000000\r\n",
              "who b (follow-up)",
              "hub: :socketchat 353 alice = #b :alice\r\n:socketchat 366 alice #b :End of /NAMES "
              "list.\r\n",
              "join c", "hub: :alice!~alice@socketchat JOIN #c\r\n", "topic c (follow-up)",
              "who c (follow-up)",
              "hub: :socketchat 353 alice = #c :alice\r\n:socketchat 366 alice #c :End of /NAMES "
              "list.\r\n"});
}

TEST_CASE("MODE's changes and arguments reach the Hub as one text; TOPIC sets, INVITE asks") {
  Client client;
  client.feed("JOIN #a\r\n");
  client.hub.seen.clear();
  client.feed(
      "MODE #a +ov-k alice bob :key\r\nMODE #a b\r\nTOPIC #a :new \x02topic\r\nTOPIC #a :\r\n"
      "INVITE bob #a\r\nINVITE bob a\r\n");
  CHECK(client.hub.seen == Lines{"mode a :+ov-k alice bob key",
                                 "hub: :socketchat 482 alice #a :You're not channel operator\r\n",
                                 "mode a :b",
                                 "hub: :socketchat 368 alice #a :End of channel ban list\r\n",
                                 "set_topic a :new topic", "set_topic a", "invite a",
                                 "hub: :socketchat 421 alice INVITE :Unknown command\r\n",
                                 "local: :socketchat 403 alice a :No such channel\r\n"});
  // A lone CR inside the line is no part of the changes the Hub is given.
  client.hub.seen.clear();
  client.feed("MODE #a +o\rz bob\r\n");
  CHECK(client.hub.seen.front() == "mode a :+oz bob");
}

TEST_CASE("room mode refusals are spelled as IRC servers spell them") {
  for (auto [asked, error, about, line] : {
           std::tuple{"JOIN #a\r\n", ReplyError::invite_only, "",
                      ":socketchat 473 alice #a :Cannot join channel (+i)\r\n"},
           std::tuple{"JOIN #a\r\n", ReplyError::bad_key, "",
                      ":socketchat 475 alice #a :Cannot join channel (+k)\r\n"},
           std::tuple{"JOIN #a\r\n", ReplyError::room_full, "",
                      ":socketchat 471 alice #a :Cannot join channel (+l)\r\n"},
           std::tuple{"PRIVMSG #a :hi\r\n", ReplyError::moderated, "",
                      ":socketchat 404 alice #a :Cannot send to channel (+m)\r\n"},
           std::tuple{"MODE #a +x\r\n", ReplyError::unknown_mode, "x",
                      ":socketchat 472 alice x :is unknown mode char to me\r\n"},
           std::tuple{"MODE #a +l x\r\n", ReplyError::invalid_argument, "l x",
                      ":socketchat 696 alice #a l x :Invalid mode parameter\r\n"},
           std::tuple{"MODE #a +o zed\r\n", ReplyError::no_such_user, "zed",
                      ":socketchat 441 alice zed #a :They aren't on that channel\r\n"},
           std::tuple{"MODE #a +o\r\n", ReplyError::missing_argument, "o",
                      ":socketchat 461 alice MODE :Not enough parameters\r\n"},
           std::tuple{"INVITE zed #a\r\n", ReplyError::no_such_user, "",
                      ":socketchat 401 alice zed :No such nick/channel\r\n"},
           std::tuple{"INVITE bob #a\r\n", ReplyError::already_in_room, "",
                      ":socketchat 443 alice bob #a :is already on channel\r\n"},
           std::tuple{"INVITE bob #a\r\n", ReplyError::not_in_room, "",
                      ":socketchat 442 alice #a :You're not on that channel\r\n"},
           std::tuple{"TOPIC #a :x\r\n", ReplyError::not_operator, "",
                      ":socketchat 482 alice #a :You're not channel operator\r\n"},
       }) {
    CAPTURE(asked);
    Client client;
    client.hub.silent = true;  // the command is recorded; its answer spelled here
    const ServerMessage refusal{.notice = Notice::error, .error = error, .user = about};
    client.hub.first_reply = &refusal;
    client.feed(asked);
    CHECK(client.hub.first_spelled == line);
  }
}

TEST_CASE("multi-prefix: asked for, NAMES and WHO show @+ for a voiced operator, else the higher") {
  Client client;
  client.feed("JOIN #a\r\n");
  client.hub.roles = {{.room_operator = true, .voiced = true}};
  client.hub.seen.clear();
  client.feed(
      "NAMES #a\r\nCAP REQ :multi-prefix sasl\r\nCAP LIST\r\nNAMES #a\r\nWHO #a\r\n"
      "CAP REQ :-multi-prefix\r\nCAP LIST\r\nNAMES #a\r\n");
  CHECK(client.hub.seen ==
        Lines{"who a",
              "hub: :socketchat 353 alice = #a :@alice\r\n:socketchat 366 alice #a :End of /NAMES "
              "list.\r\n",
              "local: :socketchat CAP alice ACK :multi-prefix sasl\r\n",
              "local: :socketchat CAP alice LIST :multi-prefix sasl\r\n", "who a",
              "hub: :socketchat 353 alice = #a :@+alice\r\n:socketchat 366 alice #a :End of /NAMES "
              "list.\r\n",
              "who a",
              "hub: :socketchat 352 alice #a ~alice socketchat socketchat alice H@+ :0 alice\r\n"
              ":socketchat 315 alice #a :End of /WHO list.\r\n",
              "local: :socketchat CAP alice ACK :-multi-prefix\r\n",
              "local: :socketchat CAP alice LIST :sasl\r\n", "who a",
              "hub: :socketchat 353 alice = #a :@alice\r\n:socketchat 366 alice #a :End of /NAMES "
              "list.\r\n"});
}
