#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "socketchat/payload.hpp"
#include "socketchat/protocol.hpp"

namespace socketchat::detail {

// A connection as the Hub sees it: something with a protocol that output can be
// queued for. The Hub never touches sockets.
class Peer {
 public:
  Peer(std::uint64_t id, std::string remote) : id_(id), remote_(std::move(remote)) {}

  // Queues bytes for the client; callable from any thread, never blocks.
  virtual void send(Payload payload) = 0;
  // Queues several, in order, skipping the null ones: a connection takes its queue's
  // lock once for all (a batch of messages delivered together, LocalDelivery).
  virtual void send_each(std::span<const Payload* const> payloads) {
    for (const Payload* payload : payloads) {
      if (payload) send(*payload);
    }
  }
  // The protocol it speaks, as registered: what spells a broadcast to it (encoded
  // once for every connection that speaks it).
  virtual const Protocol& protocol() const noexcept = 0;
  // What spells the replies to it: the protocol, or a connection's own encoder that
  // knows its state (IRC: its nick, the command being answered).
  virtual const Protocol& encoder() const noexcept { return protocol(); }
  // Keeps the connection object alive for work that finishes later.
  virtual std::shared_ptr<Peer> shared_peer() = 0;
  // Runs `task` on the connection's strand, even if the connection has closed meanwhile
  // (what it sends then is dropped), then lets the connection go on with its input: a
  // command that returned Hub::After::pending or wait is finished this way.
  virtual void defer(std::function<void()> task) = 0;
  // Ends the connection for an operator's server-wide ban: `words` (Notice::banned,
  // encoded) are its last, then it closes as after QUIT. Any thread.
  virtual void expel(Payload words) { (void)words; }
  // What the client came over, for an Authenticator: "tcp", "tls", "ws", "wss", or
  // "local" for an in-process user; empty where the connection does not say.
  virtual std::string_view transport() const noexcept { return {}; }
  // Nobody on the way can read what it sends (TLS, in-process; LoginRequest::encrypted).
  virtual bool encrypted() const noexcept { return false; }
  // What its client said of itself besides its name (Decoder::identity): any thread,
  // once logged in.
  virtual UserIdentity identity() const noexcept { return {}; }

  std::uint64_t id() const noexcept { return id_; }
  const std::string& remote() const noexcept { return remote_; }

  // Set by the Hub at LOGIN, on the peer's own strand and under the Hub's lock.
  const std::string& name() const noexcept { return name_; }
  bool logged_in() const noexcept { return !name_.empty(); }
  // Logged in to an account (the name is its owner's), not as a guest.
  bool account() const noexcept { return account_; }
  // Logged in to an operator's account, or became one (OPER). Set on the peer's strand,
  // read by others' commands (an owner may not kick an operator): any thread.
  bool is_operator() const noexcept { return operator_.load(std::memory_order_relaxed); }
  // Set with the name: when the LOGIN happened on the history clock (unix ms); for an
  // account, when it was created. A guest's name has no owner, so HISTORY @<user>
  // shows only the DMs stamped from then on.
  std::int64_t login_unix_ms() const noexcept { return login_unix_ms_; }
  // How many of its commands the Hub has refused (answered with an error), counted on
  // the peer's own strand: a session tells by it whether the command it has just handed
  // over was refused (Handled::refused).
  std::uint32_t refusals() const noexcept { return refusals_; }

  // Its client receives its own messages too (Decoder::echoes_own_messages). Set on its
  // strand, read by the threads that deliver: any thread.
  bool echoes() const noexcept { return echo_.load(std::memory_order_relaxed); }

  // The connection is ending: whatever is sent now is dropped, so the Hub need not
  // build replies (a long list) for it. Readable from any thread.
  bool closing() const noexcept { return closing_.load(std::memory_order_relaxed); }

 protected:
  ~Peer() = default;
  void mark_closing() noexcept { closing_.store(true, std::memory_order_relaxed); }
  void set_echoes(bool echo) noexcept { echo_.store(echo, std::memory_order_relaxed); }

 private:
  friend class Hub;
  friend class LocalDirectory;  // renames: its set of peers is ordered by their names
  std::uint64_t id_;
  std::string remote_;
  std::string name_;  // as spelled at LOGIN
  bool account_ = false;
  std::atomic<bool> operator_{false};
  std::atomic<bool> echo_{false};
  std::atomic<bool> closing_{false};  // the flags together: no padding between them
  std::uint32_t refusals_ = 0;        // compared before and after: may wrap
  std::int64_t login_unix_ms_ = 0;
  // What few connections ever have, made by the first that does (on its strand): an
  // idle connection carries a pointer, not these.
  struct Seldom {
    std::chrono::steady_clock::time_point renamed_at{};  // its last rename; none: the epoch
    std::string quit_reason;  // what its QUIT said, for the departure's announcement
  };
  Seldom& seldom() {
    if (!seldom_) seldom_ = std::make_unique<Seldom>();
    return *seldom_;
  }
  std::unique_ptr<Seldom> seldom_;
};

}  // namespace socketchat::detail
