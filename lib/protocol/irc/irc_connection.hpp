#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "protocol/irc/irc_asked_words.hpp"
#include "protocol/irc/irc_caps.hpp"
#include "protocol/irc/irc_labeled_response.hpp"
#include "protocol/irc/irc_message.hpp"
#include "protocol/irc/irc_protocol.hpp"
#include "protocol/line_framer.hpp"

namespace socketchat::detail {

// Output that may echo what the client sent (a command, a channel, a QUIT reason) as
// IRC lines (irc_replies.cpp): each NUL, and each CR not right before a LF, becomes
// '?'; each line over IrcProtocol::max_line_bytes is cut to that, between UTF-8
// characters. `data` is changed in place.
Payload as_irc_lines(char* data, std::size_t size);

// One IRC client's side of the protocol: registration (NICK, USER, CAP), the
// decoding of its lines into Hub commands, and the spelling of the Hub's replies to
// it, which depend on its nick and on the command being answered (an OK to JOIN is
// the JOIN echo, a no-such-user to PRIVMSG is 401).
//
// Threading: everything runs on the connection's strand, except encode() of a
// direct message, which the sender's strand calls, and identity(), which other
// connections' commands call: those read only nick_ and user_names_, which are set
// before the nick is registered with the Hub and never change after. encode()
// changes nothing but room_limit_ (the OK to a LOGIN, on the strand): the decoder
// learns a command's outcome from on_command() and on_settled().
class IrcConnection final : public Decoder, public Protocol {
 public:
  explicit IrcConnection(const IrcProtocol& shared);
  ~IrcConnection() override;

  // Decoder (irc_connection.cpp)
  std::size_t feed(std::string_view bytes, DecodeHandler& handler) override;
  std::size_t buffered() const noexcept { return framer_.buffered(); }
  // Over what a line may hold: 510 bytes, besides a client's tags (docs/IRC.md, IRCv3).
  static bool too_long(std::string_view line) noexcept;
  const Protocol& encoder() const noexcept override { return *this; }
  const Protocol* broadcast_encoder() const noexcept override { return shared_.form(caps()); }
  bool echoes_own_messages() const noexcept override { return (caps() & cap_echo_message) != 0; }
  void on_settled(bool refused) override;
  void on_finishing() override;
  Payload on_finished(bool refused) override;
  // USER's user name and real name: set before registration, never after.
  UserIdentity identity() const noexcept override {
    const std::string_view names = user_names_;
    return {names.substr(0, user_name_size_), names.substr(user_name_size_)};
  }

  // Protocol (irc_replies.cpp)
  std::unique_ptr<Decoder> make_decoder() const override { return shared_.make_decoder(); }
  // What spell() makes of it, held or labeled for a labeled line (labeled-response).
  Payload encode(const ServerMessage& message) const override;
  Payload keepalive_probe() const override { return shared_.keepalive_probe(); }

 private:
  // Which IRC command the Hub is answering, so that encode() spells the reply.
  enum class Asked : std::uint8_t {
    none,
    registration,
    join,
    join_topic,  // the topic shown after a JOIN (332, 333), if there is one
    join_names,
    part,
    privmsg,
    notice,
    names,
    who,
    whois,
    list,
    topic,
    set_topic,
    mode,         // MODE #room: 324, 329
    ban_list,     // MODE #room b: 367..., 368
    mode_change,  // MODE #room <changes>: the change is seen as everyone sees it
    invite,       // subject(): the nick
    ping,
    quit,
    sasl,  // the LOGIN of a SASL PLAIN exchange
    kick,  // subject(): the nick
    oper,
    away,      // subject(): the message, empty when back
    userhost,  // each nick looked up adds to gathered_
    ison,      // as userhost
    lusers,
    part_all,     // JOIN 0
    rename,       // NICK after registration
    chathistory,  // CHATHISTORY: subject() its subcommand, target() its target
  };

  // irc_connection.cpp: one line, as a sequence of steps (Hub commands and local
  // replies). When a step must wait (Flow::retry), the line is fed again later and
  // the steps already done are skipped.
  Flow on_message(const IrcMessage& message, DecodeHandler& handler);

  // The command table: adding an IRC command is a row there and a handler here.
  using Handler = Flow (IrcConnection::*)(const IrcMessage&, DecodeHandler&);
  // When a command is taken: `registered` ones get 451 before registration, and
  // `unregistered` ones (USER, PASS) 462 after it.
  enum class When { any, registered, unregistered };
  struct CommandSpec {
    std::string_view name;  // as numerics name it
    Handler handler;
    std::size_t min_params;  // with fewer: 461 (a handler answers what RFC 2812 says
                             // otherwise, such as WHOIS's 431)
    When when;
  };
  static const CommandSpec* find_command(std::string_view name) noexcept;

  // The handlers, one per row.
  Flow pong(const IrcMessage& message, DecodeHandler& handler);
  Flow ping(const IrcMessage& message, DecodeHandler& handler);
  Flow quit(const IrcMessage& message, DecodeHandler& handler);
  Flow cap(const IrcMessage& message, DecodeHandler& handler);
  Flow nick(const IrcMessage& message, DecodeHandler& handler);
  Flow user(const IrcMessage& message, DecodeHandler& handler);
  Flow pass(const IrcMessage& message, DecodeHandler& handler);
  Flow privmsg(const IrcMessage& message, DecodeHandler& handler);
  // irc_chathistory.cpp: IRCv3's CHATHISTORY, its batch and its FAIL replies.
  Flow chathistory(const IrcMessage& message, DecodeHandler& handler);
  void chathistory_batch(fmt::memory_buffer& out, const ServerMessage& message) const;
  // CHATHISTORY TARGETS: asked, and its batch (a line per conversation).
  Flow chathistory_targets(const IrcMessage& message, DecodeHandler& handler);
  void targets_batch(fmt::memory_buffer& out, const ServerMessage& message) const;
  void chathistory_error(fmt::memory_buffer& out, ReplyError error) const;
  Flow notice(const IrcMessage& message, DecodeHandler& handler);
  Flow join(const IrcMessage& message, DecodeHandler& handler);
  Flow part(const IrcMessage& message, DecodeHandler& handler);
  Flow names(const IrcMessage& message, DecodeHandler& handler);
  Flow who(const IrcMessage& message, DecodeHandler& handler);
  Flow whois(const IrcMessage& message, DecodeHandler& handler);
  Flow whowas(const IrcMessage& message, DecodeHandler& handler);
  Flow list(const IrcMessage& message, DecodeHandler& handler);
  Flow topic(const IrcMessage& message, DecodeHandler& handler);
  Flow mode(const IrcMessage& message, DecodeHandler& handler);
  Flow kick(const IrcMessage& message, DecodeHandler& handler);
  Flow oper(const IrcMessage& message, DecodeHandler& handler);
  Flow invite(const IrcMessage& message, DecodeHandler& handler);
  Flow away(const IrcMessage& message, DecodeHandler& handler);
  Flow userhost(const IrcMessage& message, DecodeHandler& handler);
  Flow ison(const IrcMessage& message, DecodeHandler& handler);
  Flow lusers(const IrcMessage& message, DecodeHandler& handler);
  Flow motd(const IrcMessage& message, DecodeHandler& handler);
  Flow version(const IrcMessage& message, DecodeHandler& handler);
  Flow time(const IrcMessage& message, DecodeHandler& handler);
  Flow admin(const IrcMessage& message, DecodeHandler& handler);
  Flow info(const IrcMessage& message, DecodeHandler& handler);
  Flow authenticate(const IrcMessage& message, DecodeHandler& handler);

  // PRIVMSG, or NOTICE when `quiet` (never answered with an error).
  Flow send_text(const IrcMessage& message, bool quiet, DecodeHandler& handler);
  Flow try_to_register(DecodeHandler& handler);
  // SASL PLAIN: the decoded credentials ("authzid\0authcid\0password") as a LOGIN.
  Flow sasl_login(DecodeHandler& handler, std::string_view base64);
  void sasl_settled(bool refused);
  // A SASL numeric to the nick asked for, or "*" before one.
  Flow sasl_numeric_step(DecodeHandler& handler, int code, std::string_view rest);
  Flow command_step(DecodeHandler& handler, Asked asked, std::string_view target, Command command);
  Flow reply_step(DecodeHandler& handler, std::string text);
  // True (and counted) when the next step was done before the line had to wait.
  bool skip_done_step();
  // A numeric reply from the server: ":socketchat <code> <nick> <rest>\r\n".
  Flow numeric_step(DecodeHandler& handler, int code, std::string_view rest);
  Flow not_enough_params(DecodeHandler& handler, std::string_view command);

  // irc_replies.cpp
  Payload spell(const ServerMessage& message) const;
  std::string_view me() const noexcept { return registered_ ? std::string_view(nick_) : "*"; }
  std::string_view server() const noexcept { return shared_.server_name(); }
  void welcome(fmt::memory_buffer& out, std::size_t room_limit) const;
  // 005 RPL_ISUPPORT (the welcome's, and VERSION's).
  void isupport(fmt::memory_buffer& out, std::string_view to, std::size_t room_limit) const;
  // 375, 372..., 376; or 422 when the server has no MOTD.
  void motd(fmt::memory_buffer& out, std::string_view to) const;
  // WHOIS (311, 312, 318) or WHO <nick> (352, 315) of one user.
  void user_info(fmt::memory_buffer& out, std::string_view nick, UserIdentity identity) const;
  // Whether WHO's mask and flags take this user.
  bool who_takes(std::string_view nick, UserIdentity identity) const;
  bool list_takes(const RoomSummary& room) const;
  // A 352 line of WHO (354 for WHOX); `flags` after its H or G: "@" for a room operator.
  void who_line(fmt::memory_buffer& out, std::string_view channel, std::string_view nick,
                UserIdentity identity, std::string_view flags) const;
  // `about`: the nick, mode letter or argument a MODE refusal is about.
  void error_reply(fmt::memory_buffer& out, ReplyError error, std::string_view about = {}) const;
  // A refused registration or SASL LOGIN (the Accounts table in docs/IRC.md).
  void login_refusal(fmt::memory_buffer& out, ReplyError error) const;
  // USERHOST and ISON: their nicks looked up one by one, then one 302 or 303 line.
  Flow look_up_each(const IrcMessage& message, Asked asked, std::size_t most, int code,
                    DecodeHandler& handler);
  void gather(const ServerMessage& message) const;
  // Lists stop short of max_bytes (0: no limit) with a 416 before their end numeric.
  // `roles`: of a room's members, marked @ or + (PREFIX=(ov)@+); empty: none.
  void user_list(fmt::memory_buffer& out, std::span<const std::string_view> names,
                 std::span<const UserIdentity> identities, std::span<const RoomRoles> roles,
                 std::size_t max_bytes) const;
  void room_list(fmt::memory_buffer& out, std::span<const RoomSummary> rooms,
                 std::size_t max_bytes) const;
  // ":socketchat <code> <to> <rest>\r\n"; `to` is me() unless given.
  void numeric(fmt::memory_buffer& out, int code, std::string_view rest) const;
  void numeric(fmt::memory_buffer& out, std::string_view to, int code, std::string_view rest) const;
  void end_of_whois(fmt::memory_buffer& out) const;

  const IrcProtocol& shared_;
  LineFramer framer_{IrcProtocol::max_tagged_line_bytes};
  // Asked for by NICK; registered once registered_. A NICK after registration changes
  // it in encode() of the Hub's answer, made under the Hub's lock held exclusively, so
  // that other strands (which read it under that lock, shared) never see it change.
  mutable std::string nick_;
  // USER's user name (A-Z a-z 0-9 _ . - only, at most IrcProtocol::max_user_name_bytes;
  // the nick when none of it is left), its first user_name_size_ bytes (below), then its
  // real name; read by other connections' strands once registered, so set only before.
  std::string user_names_;

  // What registration needs and nothing after it: made when first needed, dropped (its
  // secrets wiped) at the first line after registration, so that an idle registered
  // connection does not carry it.
  struct Registration {
    Registration() = default;
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration();
    std::string pass;       // PASS: the password of the registration's LOGIN
    std::string sasl_data;  // the base64 of the 400-byte SASL chunks so far
    // While a SASL LOGIN is asked and after it succeeded, nick_ is the account's name
    // (set before the Hub can know it, as for registration) and this the nick NICK
    // asked for: empty until NICK comes, which registration still needs.
    std::string nick_asked;
  };
  Registration& registration() const;
  Registration* registration_if_made() const noexcept;  // null: no PASS or SASL came
  void drop_registration() const noexcept;              // its secrets wiped

  // SASL (IRCv3 sasl, PLAIN only). A successful exchange logs in to the Hub at once,
  // so that 900 and 903 come before CAP END as clients expect; the welcome waits for
  // registration (NICK, USER, CAP END) and is then a local reply.
  enum class Sasl : std::uint8_t {
    none,
    plain,      // AUTHENTICATE PLAIN was answered "+": the credentials come next
    logged_in,  // the Hub logged the client in as nick_
  };
  // The IRCv3 capabilities acknowledged (IrcCap bits). Changed on the strand; read by
  // other connections' strands too (a DM's tags), hence atomic.
  std::atomic<std::uint16_t> caps_{0};
  std::uint16_t caps() const noexcept { return caps_.load(std::memory_order_relaxed); }
  // (The small fields sit together, so that a connection carries no padding between.)
  std::uint8_t user_name_size_ = 0;  // of user_names_
  static_assert(IrcProtocol::max_user_name_bytes <= UINT8_MAX);
  bool user_given_ = false;        // USER came
  bool negotiating_caps_ = false;  // CAP LS or REQ came before registration: wait for CAP END
  Sasl sasl_ = Sasl::none;
  Asked asked_ = Asked::none;     // the command being answered (below)
  Asked awaiting_ = Asked::none;  // a command the Hub answers later (Handled::pending)
  std::string_view account_name() const noexcept {
    return seldom_ ? std::string_view(seldom_->account) : std::string_view{};
  }
  // 16 bits: a line's steps are fewer than its bytes (max_tagged_line_bytes, asserted
  // below to fit).
  std::uint16_t step_ = 0;        // of the line being run
  std::uint16_t steps_done_ = 0;  // of that line, before it had to wait
  // The room limit the OK to the LOGIN told, for a welcome that comes later (SASL) and
  // VERSION: encode() writes it, on the strand, and nothing on another strand reads it.
  mutable std::uint32_t room_limit_ = 0;
  void keep_room_limit(std::size_t limit) const noexcept {
    room_limit_ = static_cast<std::uint32_t>(std::min<std::size_t>(limit, UINT32_MAX));
  }

  // labeled-response: made when the client first asks for it (most never do), on the
  // strand, and kept until the connection goes; read by the threads that spell its
  // echoes (encode()), hence atomic. Owned.
  std::atomic<LabeledResponses*> labels_{nullptr};
  LabeledResponses* labels() const noexcept { return labels_.load(std::memory_order_acquire); }
  // The labels of this line are to be answered: the client asked for labeled-response and
  // batch (which the specification requires), and is registered.
  bool labeling() const noexcept;

  // The command being answered, set before each Hub command (strand only): which one
  // (asked_, with the small fields above); its verb as the client spelled it, for
  // numerics that name it; its channel or nick, as the client spelled it; its subject
  // (KICK's and INVITE's nick, a reason).
  IrcAskedWords asked_words_;
  static_assert(IrcProtocol::max_tagged_line_bytes <= UINT16_MAX);  // a word fits its size
  std::string_view verb() const noexcept { return asked_words_.verb(); }
  std::string_view target() const noexcept { return asked_words_.target(); }
  std::string_view subject() const noexcept { return asked_words_.subject(); }
  mutable std::uint32_t batches_ = 0;  // IRCv3 batches sent: the next one's reference
  bool line_open_ = false;             // a line was fed and has still to be fed again (Flow::retry)
  bool line_labeled_ = false;          // that line has a label its answer carries
  // What the handler said of the last command handed over (Handled::refused): encode()
  // only reads them, so it stays pure.
  bool registered_ = false;  // the LOGIN was not refused
  bool succeeded_ = false;   // the last command was not refused
  // What a WHO, LIST, USERHOST or ISON being answered asked for: made by the first of
  // them (most connections never send one), on the strand; encode() reads it there.
  struct Query {
    // USERHOST's and ISON's answer, gathered over the lookups of their nicks (encode()
    // writes it), then sent in one line.
    std::string gathered;
    // The WHO: the nicks it lists (a mask with * and ?; empty: all), operators only
    // (WHO <mask> o), and WHOX's fields and token (WHO <mask> %tn,42; empty fields: a
    // plain WHO, 352).
    std::string who_mask;
    bool who_operators = false;
    std::string whox_fields, whox_token;
    // The LIST: its channel masks ("#a*,#b"; empty: all) and its ELIST bounds on the
    // member count (>n, <n).
    std::string list_masks;
    std::size_t list_more_than = 0, list_fewer_than = 0;
  };
  Query& query() const;

  // What few connections ever need, in one box made by the first need (on the strand),
  // so that an idle guest's connection carries one pointer for all of it, not one each.
  struct Seldom {
    std::unique_ptr<Registration> registration;  // dropped once registered (above)
    std::unique_ptr<Query> query;
    // The account it logged in to (the OK to its LOGIN says; empty: a guest), for
    // extended-join: encode() writes it, on the strand, like room_limit_.
    std::string account;
  };
  Seldom& seldom() const;
  mutable std::unique_ptr<Seldom> seldom_;
};

}  // namespace socketchat::detail
