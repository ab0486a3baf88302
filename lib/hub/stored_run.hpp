#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "hub/delivery.hpp"
#include "hub/peer.hpp"
#include "socketchat/server_message.hpp"

namespace socketchat::detail {

// Messages the history writer stored in one batch (a slice of it), for one audience (a room, or
// every user), gathered to be delivered together: under one hold of the Hub's lock, each recipient
// getting them in one push (Delivery::to_room_run), in the order of their ids. Only the thread
// answering the slice touches it, between BatchAnswers::answers_begin and _end (StoredAnswers
// answers one slice at a time); what it holds is copied, because the writer's records are gone once
// answered.
struct StoredRun {
  struct Entry {
    std::shared_ptr<Peer> sender;
    std::string text;
    std::string from;  // the sender's name as kept
    std::string epoch;
    std::uint64_t id = 0;
    std::int64_t time_ms = 0;
    MessageKind kind{};
  };
  bool to_room = false;
  std::string room_key;            // when to_room
  std::vector<Entry> entries;      // at most Delivery::max_run
  std::vector<Outgoing> outgoing;  // entries as delivered: kept for its capacity
  // The commands the batch answered, finished on their peers' strands once it is out.
  std::vector<std::pair<std::shared_ptr<Peer>, std::function<void()>>> finishes;
};

}  // namespace socketchat::detail
