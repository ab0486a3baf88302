#include "cluster/cluster_delivery.hpp"

#include "cluster/cluster_event.hpp"

namespace socketchat::detail {

// With history, a message comes back from Redis to every node, this one included
// (ClusterLink delivers it): only what is not a stored message is delivered here. A
// CTCP (not stored: MessageKind) reaches this node's users only.

void ClusterDelivery::to_everyone(const ServerMessage& message, const Peer* except) {
  const bool chat = message.notice == Notice::message && is_stored_kind(message.kind);
  if (chat && history_publishes_) return;
  local_.to_everyone(message, except);
  if (!chat) return;
  ClusterEvent event{.kind = ClusterEvent::Kind::message,
                     .node = publisher_.node(),
                     .user = message.user,
                     .text = message.text};
  publisher_.publish("sc:feed", event.encode());
}

std::string_view ClusterDelivery::to_room(std::string_view room_key, ServerMessage message,
                                          const Peer* except) {
  const bool chat = message.notice == Notice::room_message && is_stored_kind(message.kind);
  if (chat && history_publishes_) return directory_.room_name(room_key);
  std::string_view spelled = local_.to_room(room_key, message, except);
  if (!chat) return spelled;
  ClusterEvent event{.kind = ClusterEvent::Kind::room_message,
                     .node = publisher_.node(),
                     .user = message.user,
                     .target = room_key,
                     .text = message.text};
  publisher_.publish("sc:feed", event.encode());
  return spelled.empty() ? directory_.room_name(room_key) : spelled;
}

std::string_view ClusterDelivery::to_user(std::string_view name, const ServerMessage& message) {
  const bool chat = message.notice == Notice::direct_message && is_stored_kind(message.kind);
  if (chat && history_publishes_) return directory_.find_user(name);
  if (auto here = local_.to_user(name, message); !here.empty()) return here;
  const std::string_view node = directory_.node_of(name);
  if (node.empty() || !chat) return {};
  const std::string_view spelled = directory_.find_user(name);
  ClusterEvent event{.kind = ClusterEvent::Kind::direct,
                     .node = publisher_.node(),
                     .user = message.user,
                     .target = spelled,
                     .text = message.text};
  publisher_.publish("sc:node:" + std::string(node), event.encode());
  return spelled;
}

}  // namespace socketchat::detail
