// IRC input: registration, then each line as Hub commands and local replies.
#include "protocol/irc/irc_connection.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>
#include <sodium.h>

#include "protocol/irc/irc_targets.hpp"
#include "socketchat/version.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

bool is(std::string_view command, std::string_view name) noexcept {
  return iequals_ascii(command, name);
}

// Calls each(item) for the comma-separated items of a list, until one does not give
// Flow::next.
template <class Each>
Flow for_each_item(std::string_view list, Each&& each) {
  list = list.substr(0, list.find(' '));  // a list never holds a space ("JOIN :#a b")
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    if (item.empty()) continue;
    if (Flow flow = each(item); flow != Flow::next) return flow;
  }
  return Flow::next;
}

// IRCv3 SASL: the client's base64 comes in chunks of at most 400 bytes, a shorter one
// (or "+") ending it. PLAIN's credentials need far less than this many.
constexpr std::size_t sasl_chunk_bytes = 400;
constexpr std::size_t max_sasl_bytes = 3 * sasl_chunk_bytes;

// A string whose bytes are wiped when it goes (a password, decoded).
struct WipedString {
  std::string text;
  ~WipedString() { sodium_memzero(text.data(), text.size()); }
};

// Runs steps in order while each says Flow::next.
#define SC_STEP(expression)                                           \
  do {                                                                \
    if (Flow flow_ = (expression); flow_ != Flow::next) return flow_; \
  } while (false)

// A PART's or QUIT's reason as others see it: without control characters, trimmed.
std::string_view reason_of(std::string_view given, std::string& scratch) {
  return trim(strip_controls(given, scratch));
}

// A PRIVMSG's or NOTICE's text as the Hub takes it (controls removed, trimmed), and its
// kind: CTCP ("\x01VERSION\x01", the closing \x01 optional) is a CTCP query, or reply in
// a NOTICE, of the text between the \x01s; CTCP ACTION is the action "/me <text>".
std::string_view text_of(std::string_view given, MessageKind& kind, std::string& scratch) {
  if (!given.starts_with('\x01')) return trim(strip_controls(given, scratch));
  given.remove_prefix(1);
  if (given.ends_with('\x01')) given.remove_suffix(1);
  constexpr std::string_view action = "ACTION";
  if (given.size() >= action.size() && iequals_ascii(given.substr(0, action.size()), action) &&
      (given.size() == action.size() || given[action.size()] == ' ')) {
    std::string clean;
    const std::string_view what = trim(strip_controls(given.substr(action.size()), clean));
    if (what.empty()) return {};
    scratch.assign(action_prefix).append(what);
    return scratch;
  }
  kind = kind == MessageKind::notice ? MessageKind::ctcp_reply : MessageKind::ctcp;
  return trim(strip_controls(given, scratch));
}

}  // namespace

IrcConnection::IrcConnection(const IrcProtocol& shared) : shared_(shared) {}

IrcConnection::~IrcConnection() {
  delete labels();
}

bool IrcConnection::labeling() const noexcept {
  constexpr std::uint16_t needed = cap_labeled_response | cap_batch;
  return registered_ && (caps() & needed) == needed && labels() != nullptr;
}

IrcConnection::Registration::~Registration() {
  sodium_memzero(pass.data(), pass.size());
  sodium_memzero(sasl_data.data(), sasl_data.size());
}

IrcConnection::Seldom& IrcConnection::seldom() const {
  if (!seldom_) seldom_ = std::make_unique<Seldom>();
  return *seldom_;
}

IrcConnection::Registration& IrcConnection::registration() const {
  auto& made = seldom().registration;
  if (!made) made = std::make_unique<Registration>();
  return *made;
}

IrcConnection::Registration* IrcConnection::registration_if_made() const noexcept {
  return seldom_ ? seldom_->registration.get() : nullptr;
}

void IrcConnection::drop_registration() const noexcept {
  if (!seldom_) return;
  seldom_->registration.reset();
  if (!seldom_->query && seldom_->account.empty()) seldom_.reset();  // nothing else in it
}

IrcConnection::Query& IrcConnection::query() const {
  auto& made = seldom().query;
  if (!made) made = std::make_unique<Query>();
  return *made;
}

// 512 bytes with the CR LF, besides the client's tags, which may take 4094 more (IRCv3).
bool IrcConnection::too_long(std::string_view line) noexcept {
  std::size_t tags = 0;
  if (line.starts_with('@')) {
    tags = std::min(line.find(' '), line.size());
    if (tags - 1 > IrcProtocol::max_client_tag_bytes) return true;
    while (tags < line.size() && line[tags] == ' ') ++tags;
  }
  return line.size() - tags > IrcProtocol::max_line_bytes;
}

std::size_t IrcConnection::feed(std::string_view bytes, DecodeHandler& handler) {
  return framer_.feed(bytes, [&](LineFramer::Unit unit, std::string_view line) {
    handler.on_line();  // any line is activity, a PONG above all
    if (registered_ && registration_if_made()) drop_registration();  // not needed any more
    asked_ = Asked::none;
    asked_words_.set_verb("*");  // until the line is known to hold a command
    if (unit == LineFramer::Unit::too_long || too_long(line)) {
      return handler.on_decode_error(ReplyError::line_too_long) ? Flow::next : Flow::stop;
    }
    if (!is_valid_utf8(line)) {
      return handler.on_decode_error(ReplyError::invalid_utf8) ? Flow::next : Flow::stop;
    }
    IrcMessage message;
    if (!parse_irc_message(line, message)) return Flow::next;  // blank lines are ignored
    step_ = 0;
    if (!line_open_) {  // a new line, not one fed again
      line_open_ = true;
      const std::string_view label = irc_tag(message.tags, "label");
      line_labeled_ =
          labeling() && !label.empty() && label.size() <= LabeledResponses::max_label_bytes;
      // A PRIVMSG to a list of targets may be echoed more than once: a batch at once.
      if (line_labeled_) labels()->begin(label, message.param(0).find(',') != label.npos);
    }
    if (line_labeled_) labels()->capture_line();
    Flow flow = on_message(message, handler);
    if (flow == Flow::retry) {
      if (line_labeled_) labels()->stop_capturing();
      return flow;
    }
    steps_done_ = 0;  // the line is done with
    line_open_ = false;
    if (line_labeled_) {
      line_labeled_ = false;
      handler.on_answer(labels()->end_line());
    }
    return flow;
  });
}

Flow IrcConnection::command_step(DecodeHandler& handler, Asked asked, std::string_view target,
                                 Command command) {
  if (skip_done_step()) return Flow::next;
  asked_ = asked;
  asked_words_.set_target(target);
  if (line_labeled_) command.label = labels()->line_label();
  const Handled handled = handler.on_command(command);
  if (handled.flow == Flow::retry) return Flow::retry;
  if (LabeledResponses* labels = this->labels(); labels && handled.finishes_later) {
    labels->taken_later(line_labeled_);
  }
  if (handled.pending) {
    awaiting_ = asked;  // the outcome comes to on_settled
    // A JOIN that waits (a cluster asks Redis first) has its NAMES still to come: the
    // line is fed again once it is answered, and this step is then skipped.
    if (asked == Asked::join && handled.flow == Flow::stop) {
      steps_done_ = ++step_;
      return Flow::retry;
    }
  } else {
    succeeded_ = !handled.refused;
    if (asked == Asked::registration && succeeded_) registered_ = true;  // welcomed
  }
  steps_done_ = ++step_;
  return handled.flow;
}

bool IrcConnection::skip_done_step() {
  if (step_ >= steps_done_) return false;
  ++step_;  // done before this line had to wait
  return true;
}

Flow IrcConnection::reply_step(DecodeHandler& handler, std::string text) {
  if (skip_done_step()) return Flow::next;
  Payload reply = as_irc_lines(text.data(), text.size());
  Flow flow;
  if (LabeledResponses* labels = this->labels(); labels && labels->capturing()) {
    // Charged and ordered as any reply, then held; unless the rate limit refused it,
    // whose error was held instead.
    const std::size_t held = labels->held_lines();
    flow = handler.on_reply(Payload{});
    if (flow != Flow::retry && labels->held_lines() == held) {
      handler.on_answer(labels->hold(reply));  // nothing, unless its batch is open
    }
  } else {
    flow = handler.on_reply(std::move(reply));
  }
  if (flow != Flow::retry) steps_done_ = ++step_;
  return flow;
}

Flow IrcConnection::numeric_step(DecodeHandler& handler, int code, std::string_view rest) {
  return reply_step(handler, fmt::format(":{} {:03} {} {}\r\n", server(), code, me(), rest));
}

Flow IrcConnection::not_enough_params(DecodeHandler& handler, std::string_view command) {
  return numeric_step(handler, 461, fmt::format("{} :Not enough parameters", command));
}

const IrcConnection::CommandSpec* IrcConnection::find_command(std::string_view name) noexcept {
  // Searched in order: the commands sent most often come first.
  static constexpr CommandSpec commands[] = {
      {"PRIVMSG", &IrcConnection::privmsg, 0, When::registered},  // 411, 412
      {"PING", &IrcConnection::ping, 0, When::any},               // 409
      {"PONG", &IrcConnection::pong, 0, When::any},
      {"NOTICE", &IrcConnection::notice, 0, When::registered},  // never answered
      {"JOIN", &IrcConnection::join, 1, When::registered},
      {"PART", &IrcConnection::part, 1, When::registered},
      {"NAMES", &IrcConnection::names, 0, When::registered},    // 366 alone
      {"WHO", &IrcConnection::who, 0, When::registered},        // 315 alone
      {"WHOIS", &IrcConnection::whois, 0, When::registered},    // 431
      {"WHOWAS", &IrcConnection::whowas, 0, When::registered},  // 431
      {"LIST", &IrcConnection::list, 0, When::registered},
      {"TOPIC", &IrcConnection::topic, 1, When::registered},
      {"MODE", &IrcConnection::mode, 1, When::registered},
      {"KICK", &IrcConnection::kick, 2, When::registered},
      {"INVITE", &IrcConnection::invite, 2, When::registered},
      {"OPER", &IrcConnection::oper, 2, When::registered},
      {"AWAY", &IrcConnection::away, 0, When::registered},
      {"USERHOST", &IrcConnection::userhost, 1, When::registered},
      {"ISON", &IrcConnection::ison, 1, When::registered},
      {"LUSERS", &IrcConnection::lusers, 0, When::registered},
      {"MOTD", &IrcConnection::motd, 0, When::registered},
      {"VERSION", &IrcConnection::version, 0, When::registered},
      {"TIME", &IrcConnection::time, 0, When::registered},
      {"ADMIN", &IrcConnection::admin, 0, When::registered},
      {"INFO", &IrcConnection::info, 0, When::registered},
      {"CAP", &IrcConnection::cap, 0, When::any},    // 410
      {"NICK", &IrcConnection::nick, 0, When::any},  // 431
      {"USER", &IrcConnection::user, 4, When::unregistered},
      {"PASS", &IrcConnection::pass, 1, When::unregistered},
      {"AUTHENTICATE", &IrcConnection::authenticate, 1, When::any},  // 907 after it
      {"QUIT", &IrcConnection::quit, 0, When::any},
      {"CHATHISTORY", &IrcConnection::chathistory, 0, When::registered},
  };
  for (const auto& command : commands) {
    if (is(name, command.name)) return &command;
  }
  return nullptr;
}

Flow IrcConnection::on_message(const IrcMessage& m, DecodeHandler& handler) {
  asked_words_.set_verb(m.command);
  const CommandSpec* command = find_command(m.command);
  // Before registration an unknown command is one not allowed yet, as RFC 2812 has it.
  if (!registered_ && (!command || command->when == When::registered)) {
    return numeric_step(handler, 451, ":You have not registered");
  }
  if (!command) return numeric_step(handler, 421, fmt::format("{} :Unknown command", m.command));
  if (registered_ && command->when == When::unregistered) {
    return numeric_step(handler, 462, ":You may not reregister");
  }
  if (m.count < command->min_params) return not_enough_params(handler, command->name);
  return (this->*command->handler)(m, handler);
}

Flow IrcConnection::pong(const IrcMessage&, DecodeHandler&) {
  return Flow::next;  // its arrival was the point (on_line)
}

Flow IrcConnection::ping(const IrcMessage& m, DecodeHandler& handler) {
  if (m.count == 0) return numeric_step(handler, 409, ":No origin specified");
  thread_local std::string scratch;
  return command_step(handler, Asked::ping, {},
                      {.verb = Verb::ping, .text = trim(strip_controls(m.param(0), scratch))});
}

// QUIT [:reason]: others see the reason (cleaned) in their QUIT.
Flow IrcConnection::quit(const IrcMessage& m, DecodeHandler& handler) {
  std::string_view reason = m.count > 0 ? m.param(0) : std::string_view("Client quit");
  SC_STEP(reply_step(handler, fmt::format("ERROR :Closing Link: {} (Quit: {})\r\n", me(), reason)));
  thread_local std::string scratch;
  return command_step(
      handler, Asked::quit, {},
      {.verb = Verb::quit, .text = reason_of(m.param(0), scratch), .follow_up = true});
}

Flow IrcConnection::nick(const IrcMessage& m, DecodeHandler& handler) {
  std::string_view wanted = m.param(0);
  if (wanted.empty()) return numeric_step(handler, 431, ":No nickname given");
  if (auto space = wanted.find(' '); space != std::string_view::npos) {  // "NICK :a b"
    return numeric_step(handler, 432,
                        fmt::format("{} :Erroneous nickname", wanted.substr(0, space)));
  }
  if (registered_) {  // a rename, as the Hub allows it; the same nick is nothing
    if (wanted == nick_) return Flow::next;
    return command_step(handler, Asked::rename, wanted, {.verb = Verb::rename, .name = wanted});
  }
  // Logged in by SASL: the nick is the account's name, whatever NICK says.
  (sasl_ == Sasl::logged_in ? registration().nick_asked : nick_).assign(wanted);
  return try_to_register(handler);
}

// USER <user> <mode> <unused> :<real name>. The user name keeps only what a name may
// hold (no ident lookup: it is shown with a '~'); the real name is a text.
Flow IrcConnection::user(const IrcMessage& m, DecodeHandler& handler) {
  thread_local std::string scratch;
  const std::string_view real_name = trim(strip_controls(m.param(3), scratch));
  if (real_name.empty()) return not_enough_params(handler, "USER");
  user_given_ = true;
  // Logged in by SASL already, the user is online: others may read its identity from
  // now on, so it stays as it is (its nick stands in for both).
  if (sasl_ == Sasl::logged_in) return try_to_register(handler);
  user_names_.clear();
  for (char c : m.param(0)) {
    const bool kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
    if (kept && user_names_.size() < IrcProtocol::max_user_name_bytes) user_names_.push_back(c);
  }
  user_name_size_ = static_cast<std::uint8_t>(user_names_.size());
  user_names_.append(utf8_head(real_name, IrcProtocol::max_real_name_bytes));
  return try_to_register(handler);
}

// The password of the LOGIN that registration makes (LOGIN <nick> <password>), unless
// SASL logged the client in. Without accounts the Hub does not look at it.
Flow IrcConnection::pass(const IrcMessage& m, DecodeHandler&) {
  sodium_memzero(registration().pass.data(), registration().pass.size());
  registration().pass.assign(m.param(0));
  return Flow::next;
}

// Registration is a LOGIN with the nick (the welcome burst is the reply to it), or,
// when SASL has logged the client in already, the welcome alone.
Flow IrcConnection::try_to_register(DecodeHandler& handler) {
  if (registered_ || !user_given_ || negotiating_caps_) return Flow::next;
  if (sasl_ == Sasl::logged_in) {
    if (registration().nick_asked.empty()) return Flow::next;  // NICK has still to come
    fmt::memory_buffer out;
    welcome(out, room_limit_);
    Flow flow = reply_step(handler, fmt::to_string(out));
    if (flow != Flow::retry) registered_ = true;
    return flow;
  }
  if (nick_.empty()) return Flow::next;
  if (sasl_ == Sasl::plain) {  // registration ends an unfinished exchange: as a guest
    sasl_ = Sasl::none;
    registration().sasl_data.clear();
  }
  // Without PASS or SASL (most clients) there is no Registration to make: its password
  // is empty.
  Registration* made = registration_if_made();
  const std::string_view pass = made ? std::string_view(made->pass) : "";
  Flow flow =
      command_step(handler, Asked::registration, nick_,
                   {.verb = Verb::login, .name = nick_, .secret = pass, .secret_optional = true});
  if (flow == Flow::retry) return flow;
  // A PASS is for one attempt: after a 433 the next NICK is a guest's, unless PASS
  // comes again.
  if (made) {
    sodium_memzero(made->pass.data(), made->pass.size());
    made->pass.clear();
  }
  // 432 or 433 went out: the client tries another NICK. Not when the LOGIN has to wait:
  // the line comes again, and a USER or CAP END then needs the nick still; nor when
  // the answer comes later (on_settled).
  if (awaiting_ != Asked::registration && !registered_) nick_.clear();
  return flow;
}

void IrcConnection::on_finishing() {
  if (LabeledResponses* labels = this->labels()) labels->finishing();
}

Payload IrcConnection::on_finished(bool) {
  LabeledResponses* labels = this->labels();
  return labels ? labels->finished() : Payload{};
}

void IrcConnection::on_settled(bool refused) {
  succeeded_ = !refused;
  if (awaiting_ == Asked::registration) {
    if (refused) {
      nick_.clear();  // as for a refusal at once: the client tries another NICK
    } else {
      registered_ = true;
    }
  } else if (awaiting_ == Asked::sasl) {
    sasl_settled(refused);
  }
  awaiting_ = Asked::none;
}

// SASL PLAIN (IRCv3 sasl 3.1/3.2): AUTHENTICATE PLAIN, "AUTHENTICATE +", then the
// base64 of "authzid\0authcid\0password" in 400-byte chunks. Each state change is
// made once its reply has been taken, so that a line fed again (Flow::retry) does the
// same.
Flow IrcConnection::authenticate(const IrcMessage& m, DecodeHandler& handler) {
  if (sasl_ == Sasl::logged_in) {
    return sasl_numeric_step(handler, 907, ":You have already authenticated using SASL");
  }
  if (registered_) return numeric_step(handler, 462, ":You may not reregister");
  std::string_view data = m.param(0);
  if (data == "*") {
    sasl_ = Sasl::none;
    registration().sasl_data.clear();
    return sasl_numeric_step(handler, 906, ":SASL authentication aborted");
  }
  if (sasl_ == Sasl::none) {
    if (!iequals_ascii(data, "PLAIN")) {
      SC_STEP(sasl_numeric_step(handler, 908, "PLAIN :are available SASL mechanisms"));
      return sasl_numeric_step(handler, 904, ":SASL authentication failed");
    }
    Flow flow = reply_step(handler, "AUTHENTICATE +\r\n");
    if (flow != Flow::retry) sasl_ = Sasl::plain;
    return flow;
  }
  if (data.size() > sasl_chunk_bytes ||
      registration().sasl_data.size() + data.size() > max_sasl_bytes) {
    Flow flow = sasl_numeric_step(handler, 905, ":SASL message too long");
    if (flow != Flow::retry) {
      sasl_ = Sasl::none;
      registration().sasl_data.clear();
    }
    return flow;
  }
  if (data.size() == sasl_chunk_bytes) {  // more to come
    registration().sasl_data.append(data);
    return Flow::next;
  }
  if (data == "+") data = {};  // an empty last chunk
  if (registration().sasl_data.empty()) return sasl_login(handler, data);
  WipedString whole{registration().sasl_data};
  whole.text.append(data);
  return sasl_login(handler, whole.text);
}

Flow IrcConnection::sasl_login(DecodeHandler& handler, std::string_view base64) {
  // Decoded by libsodium, strictly: padding required, nothing else but base64.
  WipedString plain{std::string(base64.size() / 4 * 3, '\0')};
  std::size_t size = 0;
  const bool decoded = sodium_base642bin(reinterpret_cast<unsigned char*>(plain.text.data()),
                                         plain.text.size(), base64.data(), base64.size(), nullptr,
                                         &size, nullptr, sodium_base64_VARIANT_ORIGINAL) == 0;
  plain.text.resize(decoded ? size : 0);
  // authzid NUL authcid NUL password: an authzid other than the authcid is refused (no
  // one logs in as another).
  const std::string_view text = plain.text;
  const std::size_t first = text.find('\0');
  const std::size_t second = first == std::string_view::npos ? first : text.find('\0', first + 1);
  std::string_view authzid, authcid, password;
  if (second != std::string_view::npos && text.find('\0', second + 1) == std::string_view::npos) {
    authzid = text.substr(0, first);
    authcid = text.substr(first + 1, second - first - 1);
    password = text.substr(second + 1);
  }
  if (authcid.empty() || password.empty() ||
      (!authzid.empty() && !iequals_ascii(authzid, authcid))) {
    Flow flow = sasl_numeric_step(handler, 904, ":SASL authentication failed");
    if (flow != Flow::retry) {
      sasl_ = Sasl::none;
      registration().sasl_data.clear();
    }
    return flow;
  }
  // The account's name is the nick from now on, unless the Hub refuses.
  registration().nick_asked = std::move(nick_);
  nick_.assign(authcid);
  Flow flow = command_step(handler, Asked::sasl, nick_,
                           {.verb = Verb::login, .name = nick_, .secret = password});
  if (flow == Flow::retry) {  // nothing happened: the line comes again
    nick_ = std::move(registration().nick_asked);
    return flow;
  }
  registration().sasl_data.clear();
  if (awaiting_ != Asked::sasl) sasl_settled(!succeeded_);  // else on_settled
  return flow;
}

void IrcConnection::sasl_settled(bool refused) {
  if (refused) {
    nick_ = std::move(registration().nick_asked);  // 904 went out: the client may try again
    registration().nick_asked.clear();
    sasl_ = Sasl::none;
  } else {
    sasl_ = Sasl::logged_in;
  }
}

Flow IrcConnection::sasl_numeric_step(DecodeHandler& handler, int code, std::string_view rest) {
  if (registered_) return numeric_step(handler, code, rest);
  return reply_step(handler, fmt::format(":{} {:03} {} {}\r\n", server(), code,
                                         nick_.empty() ? std::string_view("*") : nick_, rest));
}

// Capability negotiation (IRCv3, docs/IRC.md). CAP LS or REQ before registration holds
// it until CAP END, as the specification asks.
Flow IrcConnection::cap(const IrcMessage& m, DecodeHandler& handler) {
  std::string_view sub = m.param(0);
  if (iequals_ascii(sub, "LS")) {
    if (!registered_) negotiating_caps_ = true;
    // CAP LS 302 and later: capabilities have values (sasl's mechanisms), and
    // cap-notify is on without being asked.
    int version = 0;
    const std::string_view asked = m.param(1);
    std::from_chars(asked.data(), asked.data() + asked.size(), version);
    std::string listed;
    for (const auto& cap : irc_caps) {
      if (!listed.empty()) listed.push_back(' ');
      listed.append(cap.name);
      if (version >= 302 && !cap.value.empty()) listed.append("=").append(cap.value);
    }
    if (version >= 302) caps_.fetch_or(cap_cap_notify, std::memory_order_relaxed);
    return reply_step(handler, fmt::format(":{} CAP {} LS :{}\r\n", server(), me(), listed));
  }
  if (iequals_ascii(sub, "LIST")) {
    std::string enabled;
    for (const auto& cap : irc_caps) {
      if ((caps() & cap.cap) == 0) continue;
      if (!enabled.empty()) enabled.push_back(' ');
      enabled.append(cap.name);
    }
    return reply_step(handler, fmt::format(":{} CAP {} LIST :{}\r\n", server(), me(), enabled));
  }
  if (iequals_ascii(sub, "REQ")) {
    if (!registered_) negotiating_caps_ = true;
    // All or nothing: ACK when every capability named is known (or its "-" to end it).
    const std::string_view list = trim(m.param(1));
    std::string_view rest = list;
    bool known = !list.empty();
    std::uint16_t on = 0, off = 0;
    while (known && !rest.empty()) {
      std::string_view name = rest.substr(0, rest.find(' '));
      rest.remove_prefix(name.size());
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      const bool ending = !name.empty() && name.front() == '-';
      if (ending) name.remove_prefix(1);
      const auto* cap = std::find_if(std::begin(irc_caps), std::end(irc_caps),
                                     [&](const IrcCapName& c) { return c.name == name; });
      if (cap == std::end(irc_caps)) {
        known = false;
      } else {
        (ending ? off : on) |= cap->cap;
      }
    }
    Flow flow = reply_step(
        handler, fmt::format(":{} CAP {} {} :{}\r\n", server(), me(), known ? "ACK" : "NAK", list));
    if (flow != Flow::retry && known) {
      const std::uint16_t before = caps();
      const auto now = static_cast<std::uint16_t>((before & ~off) | on);
      caps_.store(now, std::memory_order_relaxed);
      if ((now & cap_labeled_response) != 0 && !labels()) {
        labels_.store(new LabeledResponses(server()), std::memory_order_release);
      }
      // The tags of broadcasts, or echo-message: the session reads the encoders again.
      if (((before ^ now) & (irc_form_caps | cap_echo_message)) != 0) {
        handler.on_capabilities_changed();
      }
    }
    return flow;
  }
  if (iequals_ascii(sub, "END")) {
    negotiating_caps_ = false;
    return try_to_register(handler);
  }
  return numeric_step(handler, 410, fmt::format("{} :Invalid CAP command", sub));
}

Flow IrcConnection::join(const IrcMessage& m, DecodeHandler& handler) {
  if (m.param(0) == "0") {  // JOIN 0: out of every channel (but &public)
    return command_step(handler, Asked::part_all, {}, {.verb = Verb::part_all});
  }
  std::string_view keys = m.param(1);  // "key1,key2": the n-th for the n-th channel
  return for_each_item(m.param(0), [&](std::string_view channel) {
    const std::string_view key = keys.substr(0, keys.find(','));
    keys.remove_prefix(std::min(keys.size(), key.size() + 1));
    if (is_public(channel)) return Flow::next;  // every IRC user is in it already
    std::string_view room = room_of(channel);
    if (room.empty())
      return numeric_step(handler, 403, fmt::format("{} :No such channel", channel));
    SC_STEP(command_step(handler, Asked::join, channel,
                         {.verb = Verb::join, .name = room, .secret = key}));
    // The topic and the NAMES are steps whether asked or not, so that a line fed again
    // after a retry skips the same steps. succeeded_ tells of the last command handed
    // over, which is this JOIN only if it was not skipped as done before.
    if (step_ < steps_done_ || succeeded_) {
      SC_STEP(command_step(handler, Asked::join_topic, channel,
                           {.verb = Verb::topic, .name = room, .follow_up = true}));
      return command_step(handler, Asked::join_names, channel,
                          {.verb = Verb::who, .name = room, .follow_up = true});
    }
    step_ += 2;  // no topic, no NAMES: already there, or refused (and told why)
    steps_done_ = step_;
    return Flow::next;
  });
}

Flow IrcConnection::part(const IrcMessage& m, DecodeHandler& handler) {
  thread_local std::string scratch;
  const std::string_view reason = reason_of(m.param(1), scratch);
  asked_words_.set_subject(reason);  // for the echo
  return for_each_item(m.param(0), [&](std::string_view channel) {
    if (is_public(channel)) {
      return reply_step(handler,
                        fmt::format(":{} NOTICE {} :{} is the public feed and cannot be left\r\n",
                                    server(), me(), channel));
    }
    std::string_view room = room_of(channel);
    if (room.empty())
      return numeric_step(handler, 403, fmt::format("{} :No such channel", channel));
    return command_step(handler, Asked::part, channel,
                        {.verb = Verb::part, .name = room, .text = reason});
  });
}

// PRIVMSG and NOTICE: to #room (SAY), &public (MSG) or a nick (DM). A NOTICE is
// delivered as a message like any other, and never answered with an error.
Flow IrcConnection::privmsg(const IrcMessage& m, DecodeHandler& handler) {
  return send_text(m, false, handler);
}

Flow IrcConnection::notice(const IrcMessage& m, DecodeHandler& handler) {
  return send_text(m, true, handler);
}

Flow IrcConnection::send_text(const IrcMessage& m, bool quiet, DecodeHandler& handler) {
  if (m.count == 0) {
    if (quiet) return Flow::next;
    return numeric_step(handler, 411, fmt::format(":No recipient given ({})", m.command));
  }
  thread_local std::string scratch;
  MessageKind kind = quiet ? MessageKind::notice : MessageKind::text;
  std::string_view text = text_of(m.param(1), kind, scratch);
  if (text.empty()) return quiet ? Flow::next : numeric_step(handler, 412, ":No text to send");
  const Asked asked = quiet ? Asked::notice : Asked::privmsg;
  return for_each_item(m.param(0), [&](std::string_view target) {
    if (is_public(target)) {
      return command_step(handler, asked, target, {.verb = Verb::msg, .text = text, .kind = kind});
    }
    if (target.front() == '#') {
      return command_step(
          handler, asked, target,
          {.verb = Verb::say, .name = target.substr(1), .text = text, .kind = kind});
    }
    return command_step(handler, asked, target,
                        {.verb = Verb::dm, .name = target, .text = text, .kind = kind});
  });
}

Flow IrcConnection::names(const IrcMessage& m, DecodeHandler& handler) {
  if (m.count == 0) return numeric_step(handler, 366, "* :End of /NAMES list.");
  return for_each_item(m.param(0), [&](std::string_view channel) {
    if (is_public(channel))
      return command_step(handler, Asked::names, channel, {.verb = Verb::who});
    std::string_view room = room_of(channel);
    if (room.empty())
      return numeric_step(handler, 366, fmt::format("{} :End of /NAMES list.", channel));
    return command_step(handler, Asked::names, channel, {.verb = Verb::who, .name = room});
  });
}

// WHO #room, WHO &public or * or 0 (everyone), WHO nick (that user, looked up), or a
// mask of nicks (* and ?, matched against everyone); "o" after it: operators only;
// "%<fields>[,<token>]" after it: WHOX (354 lines of those fields).
Flow IrcConnection::who(const IrcMessage& m, DecodeHandler& handler) {
  std::string_view mask = m.param(0);
  if (mask.empty()) return numeric_step(handler, 315, "* :End of /WHO list.");
  const std::string_view options = m.param(1);
  const std::size_t percent = options.find('%');
  query().who_operators = options.substr(0, percent).find('o') != std::string_view::npos;
  query().whox_fields.clear();
  query().whox_token.clear();
  if (percent != std::string_view::npos) {
    const std::string_view whox = options.substr(percent + 1);
    const std::size_t comma = whox.find(',');
    query().whox_fields.assign(whox.substr(0, comma));
    if (comma != std::string_view::npos) query().whox_token.assign(whox.substr(comma + 1, 3));
  }
  query().who_mask.clear();
  if (std::string_view room = room_of(mask); !room.empty()) {
    return command_step(handler, Asked::who, mask, {.verb = Verb::who, .name = room});
  }
  if (is_public(mask) || mask == "*" || mask == "0") {
    return command_step(handler, Asked::who, mask, {.verb = Verb::who});
  }
  if (mask.find_first_of("*?") != std::string_view::npos) {
    query().who_mask.assign(mask);
    return command_step(handler, Asked::who, mask, {.verb = Verb::who});
  }
  if (!is_valid_name(mask)) {
    return numeric_step(handler, 315, fmt::format("{} :End of /WHO list.", mask));
  }
  return command_step(handler, Asked::who, mask, {.verb = Verb::user_info, .name = mask});
}

Flow IrcConnection::whois(const IrcMessage& m, DecodeHandler& handler) {
  if (m.count == 0) return numeric_step(handler, 431, ":No nickname given");
  std::string_view target = m.param(m.count - 1);  // WHOIS [server] nick
  target = target.substr(0, target.find(','));
  return command_step(handler, Asked::whois, target, {.verb = Verb::user_info, .name = target});
}

// No nick history is kept; clients ask after a WHOIS of an unknown nick.
Flow IrcConnection::whowas(const IrcMessage& m, DecodeHandler& handler) {
  if (m.count == 0) return numeric_step(handler, 431, ":No nickname given");
  std::string_view target = m.param(0);
  SC_STEP(numeric_step(handler, 406, fmt::format("{} :There was no such nickname", target)));
  return numeric_step(handler, 369, fmt::format("{} :End of WHOWAS", target));
}

// LIST [<channel or mask>{,...}] with ELIST's M and U: masks of channel names, and
// ">n" / "<n" for rooms of more or fewer than n members.
Flow IrcConnection::list(const IrcMessage& m, DecodeHandler& handler) {
  query().list_masks.clear();
  query().list_more_than = query().list_fewer_than = 0;
  for_each_item(m.param(0), [&](std::string_view item) {
    std::size_t n = 0;
    const bool bound =
        item.size() > 1 && (item.front() == '>' || item.front() == '<') &&
        std::from_chars(item.data() + 1, item.data() + item.size(), n).ec == std::errc{};
    if (bound) {
      (item.front() == '>' ? query().list_more_than : query().list_fewer_than) = n;
    } else {
      if (!query().list_masks.empty()) query().list_masks.push_back(',');
      query().list_masks.append(item);
    }
    return Flow::next;
  });
  return command_step(handler, Asked::list, {}, {.verb = Verb::rooms});
}

// TOPIC #room: asked for (332 and 333, or 331); TOPIC #room :<topic> sets it, an
// empty one clears it.
Flow IrcConnection::topic(const IrcMessage& m, DecodeHandler& handler) {
  std::string_view channel = m.param(0);
  if (is_public(channel)) {
    if (m.count > 1) {
      return numeric_step(handler, 482, fmt::format("{} :You're not channel operator", channel));
    }
    return numeric_step(handler, 331, fmt::format("{} :No topic is set", channel));
  }
  std::string_view room = room_of(channel);
  if (room.empty()) return numeric_step(handler, 403, fmt::format("{} :No such channel", channel));
  if (m.count == 1) {
    return command_step(handler, Asked::topic, channel, {.verb = Verb::topic, .name = room});
  }
  thread_local std::string scratch;
  return command_step(
      handler, Asked::set_topic, channel,
      {.verb = Verb::set_topic, .name = room, .text = reason_of(m.param(1), scratch)});
}

// MODE #room [<changes> [<arguments>]]: the room's modes asked for (324, 329), its ban
// list (MODE #room b), or changed as the line protocol's MODE. User modes are none:
// the queries clients send on connecting are answered, changes ignored.
Flow IrcConnection::mode(const IrcMessage& m, DecodeHandler& handler) {
  std::string_view target = m.param(0);
  if (target.empty()) return not_enough_params(handler, "MODE");  // "MODE :"
  std::string_view modes = m.param(1);
  const bool channel = is_public(target) || target.front() == '#';
  if (!channel) {
    if (!iequals_ascii(target, nick_)) {
      return numeric_step(handler, 502, ":Cannot change mode for other users");
    }
    if (modes.empty()) return numeric_step(handler, 221, "+");
    return Flow::next;  // +i, +w and the like change nothing here
  }
  const bool ban_list = (modes == "b" || modes == "+b") && m.count == 2;
  if (is_public(target)) {
    if (modes.empty()) return numeric_step(handler, 324, fmt::format("{} +nt", target));
    if (ban_list) {
      return numeric_step(handler, 368, fmt::format("{} :End of channel ban list", target));
    }
    return numeric_step(handler, 482, fmt::format("{} :You're not channel operator", target));
  }
  std::string_view room = room_of(target);
  if (room.empty()) return numeric_step(handler, 403, fmt::format("{} :No such channel", target));
  if (modes.empty()) {
    return command_step(handler, Asked::mode, target, {.verb = Verb::mode, .name = room});
  }
  if (ban_list) {
    return command_step(handler, Asked::ban_list, target,
                        {.verb = Verb::mode, .name = room, .text = "b"});
  }
  // The changes and their arguments, as the line protocol takes them: one text, without
  // control characters (a lone CR inside a line), as every text the Hub is given.
  std::string changes(modes);
  for (std::size_t i = 2; i < m.count; ++i) changes.append(" ").append(m.param(i));
  thread_local std::string scratch;
  return command_step(handler, Asked::mode_change, target,
                      {.verb = Verb::mode, .name = room, .text = strip_controls(changes, scratch)});
}

// INVITE <nick> #room: the nick may join once past +i, +k and +l.
Flow IrcConnection::invite(const IrcMessage& m, DecodeHandler& handler) {
  std::string_view channel = m.param(1);
  std::string_view room = room_of(channel);
  if (room.empty()) return numeric_step(handler, 403, fmt::format("{} :No such channel", channel));
  asked_words_.set_subject(m.param(0));
  return command_step(handler, Asked::invite, channel,
                      {.verb = Verb::invite, .name = room, .subject = m.param(0)});
}

// KICK #room nick [:reason]: for a room operator or a server operator (docs/IRC.md).
Flow IrcConnection::kick(const IrcMessage& m, DecodeHandler& handler) {
  std::string_view channel = m.param(0);
  std::string_view room = room_of(channel);
  if (room.empty()) return numeric_step(handler, 403, fmt::format("{} :No such channel", channel));
  thread_local std::string scratch;
  std::string_view reason = m.count > 2 ? trim(strip_controls(m.param(2), scratch)) : "";
  asked_words_.set_subject(m.param(1));
  return command_step(handler, Asked::kick, channel,
                      {.verb = Verb::kick, .name = room, .text = reason, .subject = m.param(1)});
}

// OPER <account> <password>: an operator's account's credentials make this
// connection an operator (docs/IRC.md).
Flow IrcConnection::oper(const IrcMessage& m, DecodeHandler& handler) {
  return command_step(handler, Asked::oper, {},
                      {.verb = Verb::oper, .name = m.param(0), .secret = m.param(1)});
}

// AWAY [:message]: the Hub keeps it, for WHOIS (301), WHO (G) and a DM's answer (301).
Flow IrcConnection::away(const IrcMessage& m, DecodeHandler& handler) {
  thread_local std::string scratch;
  const std::string_view message = reason_of(m.param(0), scratch);
  asked_words_.set_subject(message);
  return command_step(handler, Asked::away, {}, {.verb = Verb::away, .text = message});
}

// USERHOST <nick>{ <nick>}: up to 5, as RFC 2812 says; ISON <nick>{ <nick>}: up to 32.
Flow IrcConnection::userhost(const IrcMessage& m, DecodeHandler& handler) {
  return look_up_each(m, Asked::userhost, 5, 302, handler);
}

Flow IrcConnection::ison(const IrcMessage& m, DecodeHandler& handler) {
  return look_up_each(m, Asked::ison, 32, 303, handler);
}

Flow IrcConnection::look_up_each(const IrcMessage& m, Asked asked, std::size_t most, int code,
                                 DecodeHandler& handler) {
  if (steps_done_ == 0) query().gathered.clear();  // a new line, not one fed again
  // The nicks: the parameters, and the words of each (ISON :a b c).
  std::size_t looked_up = 0;
  for (std::size_t i = 0; i < m.count && looked_up < most; ++i) {
    std::string_view rest = m.param(i);
    while (looked_up < most) {
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      if (rest.empty()) break;
      const std::string_view nick = rest.substr(0, rest.find(' '));
      rest.remove_prefix(nick.size());
      if (!is_valid_name(nick)) continue;
      SC_STEP(command_step(handler, asked, nick,
                           {.verb = Verb::user_info, .name = nick, .follow_up = looked_up > 0}));
      ++looked_up;
    }
  }
  // One line, or as many as the answers take (32 ISON nicks, or 5 long USERHOST entries,
  // pass 512 bytes), each cut between two answers.
  const std::string head = fmt::format(":{} {:03} {} :", server(), code, me());
  const std::size_t room = IrcProtocol::max_line_bytes - head.size();
  std::string lines;
  std::string_view rest = query().gathered;
  do {
    std::size_t take = rest.size();
    if (take > room) {
      take = rest.rfind(' ', room);
      if (take == std::string_view::npos || take == 0) take = room;  // one answer too long
    }
    lines.append(head).append(rest.substr(0, take)).append("\r\n");
    rest.remove_prefix(take);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  } while (!rest.empty());
  Flow flow = reply_step(handler, std::move(lines));
  if (flow != Flow::retry) query().gathered.clear();
  return flow;
}

Flow IrcConnection::lusers(const IrcMessage&, DecodeHandler& handler) {
  return command_step(handler, Asked::lusers, {}, {.verb = Verb::counts});
}

Flow IrcConnection::motd(const IrcMessage&, DecodeHandler& handler) {
  fmt::memory_buffer out;
  motd(out, nick_);
  return reply_step(handler, fmt::to_string(out));
}

// 351 and the ISUPPORT tokens, as RFC 2812 and modern servers answer VERSION.
Flow IrcConnection::version(const IrcMessage&, DecodeHandler& handler) {
  fmt::memory_buffer out;
  numeric(out, 351, fmt::format("socketchat-{}. {} :", version_string, server()));
  isupport(out, nick_, room_limit_);
  return reply_step(handler, fmt::to_string(out));
}

Flow IrcConnection::time(const IrcMessage&, DecodeHandler& handler) {
  return numeric_step(handler, 391, fmt::format("{} :{}", server(), utc_time_now()));
}

// No administrator is configured: 423, as RFC 2812 allows.
Flow IrcConnection::admin(const IrcMessage&, DecodeHandler& handler) {
  return numeric_step(handler, 423, fmt::format("{} :No administrative info available", server()));
}

Flow IrcConnection::info(const IrcMessage&, DecodeHandler& handler) {
  fmt::memory_buffer out;
  numeric(
      out, 371,
      fmt::format(":socketchat {}, a chat server for line, IRC and browser users", version_string));
  numeric(out, 371, ":Free software under the MIT licence");
  numeric(out, 371, fmt::format(":Up since {}", shared_.created()));
  numeric(out, 374, ":End of /INFO list");
  return reply_step(handler, fmt::to_string(out));
}

}  // namespace socketchat::detail
