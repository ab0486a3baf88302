// The Hub's LOGIN (and, with accounts, REGISTER and TOKEN <token>): a valid name nobody
// else has, if the Authenticator (when there is one) agrees; its answer may come later,
// from another thread.
#include "hub/hub.hpp"
#include "hub/peer_events.hpp"
#include "hub/pending_answer.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

std::optional<ReplyError> Hub::try_login(Peer& peer, std::string_view name) {
  std::unique_lock lock(mutex_);
  return claim_name_locked(peer, name);
}

std::optional<ReplyError> Hub::claim_name_locked(Peer& peer, std::string_view name) {
  if (peer.logged_in()) return ReplyError::already_logged_in;
  if (!is_valid_name(name)) return ReplyError::invalid_username;
  // A name that has just been freed is announced as gone before anyone takes it again.
  if (!departed_.empty()) announce_departures_locked();
  // The name first: a directory keeps its users by the names they hold.
  peer.name_ = std::string(name);
  if (!directory_->claim(peer, name)) {
    peer.name_.clear();  // not logged in (above): it had none
    return ReplyError::username_taken;
  }
  if (const std::size_t users = directory_->user_count();
      users > most_users_.load(std::memory_order_relaxed)) {
    most_users_.store(users, std::memory_order_relaxed);  // changed under the lock held exclusively
  }
  // After the name is taken, before anyone can DM it: the DMs of this session are
  // stamped at or after this, those of an earlier user of the name before it.
  peer.login_unix_ms_ = history_.mark();
  return std::nullopt;
}

Hub::After Hub::login(Peer& from, const Command& command) {
  LoginRequest request{.remote = from.remote(),
                       .transport = from.transport(),
                       .encrypted = from.encrypted(),
                       .connection = from.id()};
  std::string_view secret = command.secret;
  switch (command.verb) {
    case Verb::token:
      if (command.secret.empty()) {
        reply_error(from, ReplyError::missing_argument);
        return After::stay;
      }
      request.kind = LoginKind::token;
      request.token = command.secret;
      return authenticate(from, request);
    case Verb::register_account:
      if (from.logged_in()) {
        reply_error(from, ReplyError::already_logged_in);
        return After::stay;
      }
      if (command.name.empty() || command.secret.empty()) {
        reply_error(from, ReplyError::missing_argument);
        return After::stay;
      }
      request.kind = LoginKind::register_account;
      break;
    default:
      // Without accounts a second word is part of the name, which makes it invalid; a
      // secret only offered (IRC's PASS) is not looked at.
      if (!secret.empty() && !has_accounts()) {
        if (!command.secret_optional) {
          reply_error(from, ReplyError::invalid_username);
          return After::stay;
        }
        secret = {};
      }
      request.kind = secret.empty() ? LoginKind::name : LoginKind::password;
      break;
  }
  if (!is_valid_name(command.name)) {
    reply_error(from, ReplyError::invalid_username);
    return After::stay;
  }
  // A name banned server-wide costs no password check, and gets no account.
  if (banned_from("*", command.name)) {
    reply_error(from, ReplyError::banned);
    return After::stay;
  }
  request.name = command.name;
  request.password = secret;
  if (request.kind == LoginKind::register_account) {
    // A guest online under the name keeps it: no account is made under it.
    std::shared_lock lock(mutex_);
    if (!directory_->find_user(command.name).empty()) {
      lock.unlock();
      reply_error(from, ReplyError::username_taken);
      return After::stay;
    }
  }
  if (!authenticator_) {
    log_in(from, command.name);
    return After::stay;
  }
  return authenticate(from, request);
}

void Hub::log_in(Peer& from, std::string_view name, const LoginResult* account, bool say_name) {
  if (banned_from("*", name)) return reply_error(from, ReplyError::banned);
  {
    std::unique_lock lock(mutex_);
    if (auto refusal = claim_name_locked(from, name)) {
      lock.unlock();
      return reply_error(from, *refusal);
    }
    if (account && account->account) {
      // Its DMs since the account began are its own (PROTOCOL.md, Accounts).
      from.account_ = true;
      from.operator_.store(account->is_operator, std::memory_order_relaxed);
      from.login_unix_ms_ = account->account_created_unix_ms;
    }
    // Queued before the lock is let go: a message for everyone needs the lock too, so
    // none reaches the new user before its OK. IRC's welcome tells the room limit
    // (CHANLIMIT). A TOKEN login is told its name, which it did not give (OK <username>).
    reply(from, {.notice = Notice::ok,
                 .user = from.name(),
                 .text = say_name ? std::string_view(from.name()) : std::string_view(),
                 .identity = {.account = from.account() ? std::string_view(from.name())
                                                        : std::string_view()},
                 .room_limit = max_rooms_per_user_.load(std::memory_order_relaxed)});
  }
  publish(EventKind::login, from);
}

Hub::After Hub::authenticate(Peer& from, const LoginRequest& request) {
  return ask_authenticator(
      from, request,
      [asked = std::string(request.name)](Hub& hub, Peer& peer, const LoginResult& result) {
        hub.finish_login(peer, asked, result);
      });
}

Hub::After Hub::ask_authenticator(Peer& from, const LoginRequest& request,
                                  std::function<void(Hub&, Peer&, const LoginResult&)> finish) {
  auto pending =
      std::make_shared<PendingAnswer<LoginResult>>(gate_, from.shared_peer(), std::move(finish));
  auto failure = failure_of([&] {
    authenticator_->authenticate(
        request, [pending](LoginResult result) { pending->answer(std::move(result)); });
  });
  if (failure) {  // it fails closed
    publish_failure(bus_, from, "authenticator-failed", *failure);
    pending->answer(LoginResult::refuse());
  }
  return After::wait;  // until the answer: Peer::defer, then finish
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
  if (peer.logged_in()) return reply_error(peer, ReplyError::already_logged_in);
  // The name is checked now: it may have been taken meanwhile.
  // A TOKEN asked for no name: it learns the account's.
  log_in(peer, result.name.empty() ? asked : std::string_view(result.name), &result, asked.empty());
}

}  // namespace socketchat::detail
