#include "hub/local_delivery.hpp"

#include "hub/encode_once.hpp"
#include "hub/peer.hpp"

namespace socketchat::detail {

namespace {

// Each recipient but `except` gets the bytes of its protocol, encoded once for all.
template <class Recipients>
void fan_out(const Recipients& recipients, const ServerMessage& message, const Peer* except) {
  EncodeOnce encoded(message);
  for (const auto& [key, peer] : recipients) {
    if (peer != except) peer->send(encoded.for_protocol(peer->protocol()));
  }
}

}  // namespace

void LocalDelivery::to_everyone(const ServerMessage& message, const Peer* except) {
  fan_out(directory_.users(), message, except);
}

std::string_view LocalDelivery::to_room(std::string_view room_key, ServerMessage message,
                                        const Peer* except) {
  const auto* room = directory_.find_room(room_key);
  if (!room) return {};
  message.room = room->name;
  fan_out(room->members, message, except);
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
