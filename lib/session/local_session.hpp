#pragma once

#include <deque>
#include <memory>
#include <string>
#include <variant>

#include "hub/peer.hpp"
#include "server/connection.hpp"
#include "session/session_context.hpp"
#include "socketchat/local_user.hpp"
#include "socketchat/protocol.hpp"
#include "transport/asio_types.hpp"

namespace socketchat::detail {

// A Command that owns what it names, to be handled later on another thread.
struct OwnedCommand {
  explicit OwnedCommand(const Command& command)
      : verb(command.verb),
        history_of(command.history_of),
        name(command.name),
        text(command.text) {}
  Command view() const noexcept {
    return {.verb = verb, .name = name, .text = text, .history_of = history_of};
  }

  Verb verb;
  HistoryOf history_of;
  std::string name, text;
};

// An in-process user: a Peer whose output is handed to a callback instead of a
// socket. Its commands reach the Hub as Commands, typed by the host (or decoded from
// a line it typed), and it receives the line protocol's lines, so others see it
// exactly like a remote client. Everything runs on its own strand; submit() and send()
// may come from any thread.
class LocalSession final : public Connection,
                           private DecodeHandler,
                           public std::enable_shared_from_this<LocalSession> {
 public:
  // `protocol`: the line protocol, whose lines the handler receives.
  LocalSession(const SessionContext& context, const Protocol& protocol, LocalUser::Handler handler);

  // Logs in at once, on the calling thread; throws config_error if refused.
  void log_in(std::string_view name);
  void set_owner(std::weak_ptr<LocalUser> owner) { owner_ = std::move(owner); }

  void submit(std::string line);  // one command line, without LF
  void submit(const Command& command);
  void close();

  void send(Payload payload) override;
  const Protocol& protocol() const noexcept override { return protocol_; }
  std::shared_ptr<Peer> shared_peer() override { return shared_from_this(); }
  void defer(std::function<void()> task) override;
  std::string_view transport() const noexcept override { return "local"; }
  bool encrypted() const noexcept override { return true; }  // never leaves the process
  void shut_down() override;
  void write_turn() override {}  // never asks for one: its output goes to a callback
  std::uint32_t& table_slot() noexcept override { return table_slot_; }
  void expel(Payload words) override;

 private:
  Handled on_command(const Command& command) override;
  Flow on_reply(Payload payload) override;
  void on_answer(Payload payload) override { send(std::move(payload)); }
  bool on_decode_error(ReplyError error) override;
  void on_line() override {}

  // A line to decode, or a command the host gave typed.
  using Input = std::variant<std::string, OwnedCommand>;

  void enqueue(Input input);
  void run_typed(const OwnedCommand& command);
  void deliver(std::string_view line);
  void close_on_strand();
  void run_queued();  // runs queued input until a command waits for the Hub

  const SessionContext& context_;
  const Protocol& protocol_;
  Executor strand_;
  std::unique_ptr<Decoder> decoder_;
  LocalUser::Handler handler_;
  std::weak_ptr<LocalUser> owner_;
  bool open_ = true;              // strand only, after log_in
  bool paused_ = false;           // a command is waiting for the Hub
  bool close_requested_ = false;  // close() once the lines before it have run
  std::deque<Input> queued_;      // submitted while paused

  std::uint32_t table_slot_ = no_table_slot;  // the ConnectionTable's (under its lock)
};

}  // namespace socketchat::detail
