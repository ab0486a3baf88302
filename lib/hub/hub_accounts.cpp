// An account owner's commands about its account: PASSWD, and TOKEN to ask for a
// session token. The Authenticator answers, maybe later, from another thread.
#include "hub/hub.hpp"
#include "hub/peer_events.hpp"
#include "hub/pending_answer.hpp"

namespace socketchat::detail {

Hub::After Hub::account_request(Peer& from, const Command& command) {
  AccountRequest request{.account = from.name(),
                         .remote = from.remote(),
                         .transport = from.transport(),
                         .encrypted = from.encrypted(),
                         .connection = from.id()};
  if (command.verb == Verb::change_password) {
    if (command.secret.empty() || command.new_secret.empty()) {
      reply_error(from, ReplyError::missing_argument);
      return After::stay;
    }
    request.kind = AccountRequest::Kind::change_password;
    request.password = command.secret;
    request.new_password = command.new_secret;
  }
  if (command.verb == Verb::oper) {
    if (command.name.empty() || command.secret.empty()) {
      reply_error(from, ReplyError::missing_argument);
      return After::stay;
    }
    request.kind = AccountRequest::Kind::become_operator;
    request.account = command.name;
    request.password = command.secret;
  } else if (!from.account()) {  // a guest has no account to change or log back in to
    reply_error(from, ReplyError::not_registered);
    return After::stay;
  }
  const bool oper = request.kind == AccountRequest::Kind::become_operator;
  auto pending = std::make_shared<PendingAnswer<AccountResult>>(
      gate_, from.shared_peer(), [oper](Hub& hub, Peer& peer, const AccountResult& result) {
        if (peer.closing() || hub.stopping()) return;
        if (result.error) return reply_error(peer, *result.error);
        if (oper) {
          peer.operator_.store(true, std::memory_order_relaxed);
          hub.kept_identities_.forget();  // WHO shows operators
        }
        if (!result.token.empty()) {
          return reply(peer, {.notice = Notice::token, .text = result.token});
        }
        reply(peer, {.notice = Notice::ok, .user = peer.name()});
      });
  auto failure = failure_of([&] {
    authenticator_->account(
        request, [pending](AccountResult result) { pending->answer(std::move(result)); });
  });
  if (failure) {
    publish_failure(bus_, from, "authenticator-failed", *failure);
    pending->answer({.error = ReplyError::storage_failed});
  }
  return After::wait;
}

}  // namespace socketchat::detail
