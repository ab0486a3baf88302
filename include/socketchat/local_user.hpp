#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

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

  // A command as a client would type it, e.g. "WHO" or "DM bob hi". Line breaks
  // are removed: one call is one command.
  void send(std::string_view command);
  void say(std::string_view text);                          // MSG <text>
  void direct(std::string_view to, std::string_view text);  // DM <to> <text>
  // Logs out; others see "INFO <name> disconnected". Idempotent.
  void disconnect() noexcept;

 private:
  friend class Server;
  LocalUser(std::weak_ptr<detail::LocalSession> session, std::string name);
  void submit(std::string line);

  std::weak_ptr<detail::LocalSession> session_;  // owned by the server while connected
  std::string name_;
};

}  // namespace socketchat
