// The Hub's side of a batch the history writer stored, a slice at a time (StoredAnswers):
// its messages to a room, or to everyone, delivered together (StoredRun).
#include <mutex>

#include "hub/hub.hpp"

namespace socketchat::detail {

namespace {

// The run the answering thread is gathering, between answers_begin and answers_end; null
// on every other thread, whose messages are delivered at once.
thread_local StoredRun* gathering = nullptr;

}  // namespace

void Hub::answers_begin() {
  gathering = &run_;
}

void Hub::answers_end() {
  deliver_run();
  gathering = nullptr;
  for (auto& [peer, task] : run_.finishes) peer->defer(std::move(task));
  run_.finishes.clear();
}

void Hub::defer_after_run(std::shared_ptr<Peer> peer, std::function<void()> task) {
  if (gathering != &run_) return peer->defer(std::move(task));
  run_.finishes.emplace_back(std::move(peer), std::move(task));
}

void Hub::deliver_gathered() {
  if (gathering == &run_) deliver_run();
}

bool Hub::gathered(Peer& from, bool to_room, std::string_view room_key, std::string_view text,
                   MessageKind kind, std::string_view label, const KeptAs& kept) {
  if (gathering != &run_) return false;
  // A labeled echo comes to its sender as a reply in its place: delivered on its own.
  const bool joins = label.empty() || !from.echoes();
  auto& entries = run_.entries;
  if (!entries.empty() && (!joins || entries.size() == Delivery::max_run ||
                           run_.to_room != to_room || (to_room && run_.room_key != room_key))) {
    deliver_run();
  }
  if (!joins) return false;
  if (entries.empty()) {
    run_.to_room = to_room;
    run_.room_key = room_key;
  }
  entries.push_back({.sender = from.shared_peer(),
                     .text = std::string(text),
                     .from = kept.from.empty() ? from.name() : std::string(kept.from),
                     .epoch = std::string(kept.epoch),
                     .id = kept.id,
                     .time_ms = kept.time_ms,
                     .kind = kind});
  return true;
}

void Hub::deliver_run() {
  auto& entries = run_.entries;
  if (entries.empty()) return;
  auto& outgoing = run_.outgoing;
  const Notice notice = run_.to_room ? Notice::room_message : Notice::message;
  std::string spelled;
  {
    std::shared_lock lock(mutex_);
    outgoing.clear();
    for (const auto& entry : entries) {
      const KeptAs kept{
          .from = entry.from, .epoch = entry.epoch, .id = entry.id, .time_ms = entry.time_ms};
      outgoing.push_back(
          {.message = chat_message(notice, *entry.sender, entry.text, entry.kind, kept),
           .except = left_out(*entry.sender, false)});
    }
    if (!run_.to_room) {
      delivery_->to_everyone_run(outgoing);
    } else {
      spelled = delivery_->to_room_run(run_.room_key, outgoing);
      for (std::size_t i = 0; i < entries.size() && !spelled.empty(); ++i) {
        Peer& sender = *entries[i].sender;
        if (echoed_as_reply_locked(sender, run_.room_key, false))
          reply(sender, outgoing[i].message);
      }
    }
  }
  // A room gone since the messages were stored has nobody to tell.
  if (!run_.to_room || !spelled.empty()) {
    const EventKind event = run_.to_room ? EventKind::room_message : EventKind::message;
    for (const auto& entry : entries) {
      publish(event, *entry.sender, spelled, entry.text, entry.from);
    }
  }
  entries.clear();
}

}  // namespace socketchat::detail
