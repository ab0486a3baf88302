#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "hub/hub.hpp"

namespace socketchat::detail {

// One answer an authenticator owes (to a LOGIN, or to an account's command). Its first
// answer is handed to the peer's strand and finished there, finish(hub, peer, result),
// unless the peer or the Hub has gone meanwhile; any further one is ignored. It holds
// the peer weakly: an answer that never comes keeps no connection alive.
template <class Result>
class Hub::PendingAnswer {
 public:
  using Finish = std::function<void(Hub& hub, Peer& peer, const Result& result)>;

  PendingAnswer(std::shared_ptr<AnswerGate> gate, const std::shared_ptr<Peer>& peer, Finish finish)
      : gate_(std::move(gate)), peer_(peer), finish_(std::move(finish)) {}

  void answer(Result result) {
    if (answered_.exchange(true, std::memory_order_acq_rel)) return;
    std::lock_guard lock(gate_->mutex);  // the Hub stays while the answer is handed over
    Hub* hub = gate_->hub;
    auto peer = peer_.lock();
    if (!hub || !peer) return;
    hub->work_.fetch_add(1, std::memory_order_relaxed);
    peer->defer([hub, peer, finish = std::move(finish_), result = std::move(result)] {
      finish(*hub, *peer, result);
    });
  }

 private:
  std::shared_ptr<AnswerGate> gate_;
  std::weak_ptr<Peer> peer_;
  Finish finish_;
  std::atomic<bool> answered_{false};
};

}  // namespace socketchat::detail
