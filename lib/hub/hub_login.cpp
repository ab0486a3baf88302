// The Hub's LOGIN: a valid name nobody else has, if the Authenticator (when there is
// one) agrees; its answer may come later, from another thread.
#include <atomic>
#include <mutex>

#include "hub/hub.hpp"
#include "hub/peer_events.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

// One LOGIN the authenticator is deciding. Its first answer is handed to the peer's
// strand, unless the peer or the Hub has gone meanwhile; any further one is ignored.
// It holds the peer weakly: an answer that never comes keeps no connection alive.
class Hub::PendingLogin {
 public:
  PendingLogin(std::shared_ptr<AnswerGate> gate, const std::shared_ptr<Peer>& peer,
               std::string_view name)
      : gate_(std::move(gate)), peer_(peer), name_(name) {}

  void answer(LoginResult result) {
    if (answered_.exchange(true, std::memory_order_acq_rel)) return;
    std::lock_guard lock(gate_->mutex);  // the Hub stays while the answer is handed over
    Hub* hub = gate_->hub;
    auto peer = peer_.lock();
    if (!hub || !peer) return;
    hub->work_.fetch_add(1, std::memory_order_relaxed);
    peer->defer([hub, peer, name = std::move(name_), result = std::move(result)] {
      hub->finish_login(*peer, name, result);
    });
  }

 private:
  std::shared_ptr<AnswerGate> gate_;
  std::weak_ptr<Peer> peer_;
  std::string name_;  // as asked
  std::atomic<bool> answered_{false};
};

std::optional<ReplyError> Hub::try_login(Peer& peer, std::string_view name) {
  if (peer.logged_in()) return ReplyError::already_logged_in;
  if (!is_valid_name(name)) return ReplyError::invalid_username;
  std::unique_lock lock(mutex_);
  // A name that has just been freed is announced as gone before anyone takes it again.
  if (!departed_.empty()) announce_departures_locked();
  if (!directory_->claim(peer, name)) return ReplyError::username_taken;
  peer.name_ = std::string(name);
  // After the name is taken, before anyone can DM it: the DMs of this session are
  // stamped at or after this, those of an earlier user of the name before it.
  peer.login_unix_ms_ = history_.mark();
  return std::nullopt;
}

Hub::After Hub::login(Peer& from, std::string_view name) {
  if (!is_valid_name(name)) {
    reply_error(from, ReplyError::invalid_username);
    return After::stay;
  }
  if (authenticator_) return authenticate(from, name);
  log_in(from, name);
  return After::stay;
}

void Hub::log_in(Peer& from, std::string_view name) {
  if (auto refusal = try_login(from, name)) return reply_error(from, *refusal);
  // IRC's welcome tells the room limit (CHANLIMIT).
  reply(from, {.notice = Notice::ok,
               .user = from.name(),
               .room_limit = max_rooms_per_user_.load(std::memory_order_relaxed)});
  publish(EventKind::login, from);
}

Hub::After Hub::authenticate(Peer& from, std::string_view name) {
  auto pending = std::make_shared<PendingLogin>(gate_, from.shared_peer(), name);
  const LoginRequest request{.name = name,
                             .remote = from.remote(),
                             .transport = from.transport(),
                             .connection = from.id()};
  auto failure = failure_of([&] {
    authenticator_->authenticate(
        request, [pending](LoginResult result) { pending->answer(std::move(result)); });
  });
  if (failure) {  // it fails closed
    publish_failure(bus_, from, "authenticator-failed", *failure);
    pending->answer(LoginResult::refuse());
  }
  return After::wait;  // until the answer: Peer::defer, finish_login
}

void Hub::finish_login(Peer& peer, std::string_view asked, const LoginResult& result) {
  // The connection ended while the answer was on its way, or the server is stopping:
  // nobody is logged in.
  if (peer.closing() || stopping()) return;
  if (!result.accepted) {
    const bool known =
        static_cast<std::size_t>(result.error) <= static_cast<std::size_t>(last_reply_error);
    return reply_error(peer, known ? result.error : ReplyError::invalid_username);
  }
  // The name is checked now: it may have been taken meanwhile.
  log_in(peer, result.name.empty() ? asked : std::string_view(result.name));
}

}  // namespace socketchat::detail
