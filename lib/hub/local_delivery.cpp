#include "hub/local_delivery.hpp"

#include <algorithm>
#include <array>

#include "hub/encode_once.hpp"
#include "hub/peer.hpp"

namespace socketchat::detail {

namespace {

// A recipient: the users' set holds peers, a room's members map keys to peers.
Peer* peer_of(Peer* peer) noexcept {
  return peer;
}
template <class Key>
Peer* peer_of(const std::pair<const Key, Peer*>& member) noexcept {
  return member.second;
}

// Each recipient gets the messages of the run not meant to skip it, in the bytes of its
// protocol (encoded once for all), in one push: one lock of its queue for the run.
template <class Recipients>
void fan_out(const Recipients& recipients, std::span<const Outgoing> run) {
  for (std::size_t first = 0; first < run.size(); first += Delivery::max_run) {
    const auto part = run.subspan(first, std::min(Delivery::max_run, run.size() - first));
    EncodeOnce encoded(part);
    std::array<const Payload*, Delivery::max_run> picks{};
    for (const auto& recipient : recipients) {
      Peer* peer = peer_of(recipient);
      const Payload* payloads = encoded.for_protocol(peer->protocol());
      bool any = false;
      for (std::size_t i = 0; i < part.size(); ++i) {
        const bool skipped = part[i].except == peer;
        picks[i] = skipped ? nullptr : &payloads[i];
        any = any || !skipped;
      }
      if (any) peer->send_each({picks.data(), part.size()});
    }
  }
}

}  // namespace

void LocalDelivery::to_everyone(const ServerMessage& message, const Peer* except) {
  const Outgoing one{.message = message, .except = except};
  fan_out(directory_.users(), {&one, 1});
}

void LocalDelivery::to_everyone_run(std::span<const Outgoing> run) {
  fan_out(directory_.users(), run);
}

std::string_view LocalDelivery::to_room(std::string_view room_key, ServerMessage message,
                                        const Peer* except) {
  Outgoing one{.message = std::move(message), .except = except};
  return to_room_run(room_key, {&one, 1});
}

std::string_view LocalDelivery::to_room_run(std::string_view room_key, std::span<Outgoing> run) {
  const auto* room = directory_.find_room(room_key);
  if (!room) return {};
  for (Outgoing& out : run) out.message.room = room->name;
  fan_out(room->members, run);
  return room->name;
}

std::string_view LocalDelivery::to_user(std::string_view name, const ServerMessage& message) {
  Peer* recipient = directory_.find_peer(name);
  if (!recipient) return {};
  // A connection that is closing would drop it: it is not even encoded.
  if (!recipient->closing()) recipient->send(recipient->encoder().encode(message));
  return recipient->name();
}

}  // namespace socketchat::detail
