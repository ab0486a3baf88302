#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "socketchat/command.hpp"

namespace socketchat {

namespace detail {
class LocalSession;
}

// One line of what a user is sent, split into its parts. The line is the line
// protocol's own (PROTOCOL.md), so anything a remote client can receive, an
// in-process user receives too. Views are valid during the handler call only.
struct Incoming {
  std::string_view line{};  // e.g. "DM alice hello there"
  std::string_view kind{};  // the first word: MSG, DM, SAY, INFO, OK, ERR, USER, END, PONG, ...
  std::string_view from{};  // MSG, DM, SAY: the sender
  std::string_view room{};  // SAY: the room
  std::string_view text{};  // MSG, DM, SAY: the text; ERR: the code; others: the rest
};

// A user that lives inside the host program (a bot, a game, a bridge): logged in
// under a name like any remote user, seen by others like any remote user. Made by
// Server::connect(); destroying it disconnects the user. It may outlive its server:
// once the server has stopped, its methods do nothing.
//
// The handler runs on one of the server's I/O threads, never on two at once for
// the same user; it must not block. Methods may be called from any thread,
// including from inside the handler.
class LocalUser {
 public:
  using Handler = std::function<void(LocalUser& self, const Incoming& incoming)>;

  ~LocalUser();
  LocalUser(const LocalUser&) = delete;
  LocalUser& operator=(const LocalUser&) = delete;

  const std::string& name() const noexcept { return name_; }

  // What a client can do, one command a call, in the order of the calls. The answers
  // (OK, ERR <code>, lists) come to the handler as a client's lines would. Names and
  // texts are taken as given, not parsed: a space is part of a name (which then is no
  // valid one), and a text may hold any characters; as from any client, control
  // characters are removed from a text, and it is trimmed.
  void say(std::string_view text) { send({.verb = Verb::msg, .text = text}); }  // to everyone
  void direct(std::string_view to, std::string_view text) {                     // to one user
    send({.verb = Verb::dm, .name = to, .text = text});
  }
  void join(std::string_view room) { send({.verb = Verb::join, .name = room}); }
  void part(std::string_view room) { send({.verb = Verb::part, .name = room}); }
  void say_in(std::string_view room, std::string_view text) {  // to a room's members
    send({.verb = Verb::say, .name = room, .text = text});
  }
  void who(std::string_view room = {}) { send({.verb = Verb::who, .name = room}); }  // or all
  void rooms() { send({.verb = Verb::rooms}); }
  // HISTORY: the latest `count` messages (0: the server's default) of a room, of the
  // public feed (HistoryOf::everyone; no name), or of this user's DMs with `name`.
  void history(HistoryOf of, std::string_view name = {}, std::size_t count = 0);
  // Any command, typed; its views are copied (they need to live only during the call).
  void send(const Command& command);
  // A command as a client would type it, e.g. "WHO" or "DM bob hi". Line breaks
  // are removed: one call is one command.
  void send(std::string_view command);
  // Logs out; others see "INFO <name> disconnected". Idempotent.
  void disconnect() noexcept;

 private:
  friend class Server;
  LocalUser(std::weak_ptr<detail::LocalSession> session, std::string name);

  std::weak_ptr<detail::LocalSession> session_;  // owned by the server while connected
  std::string name_;
};

}  // namespace socketchat
