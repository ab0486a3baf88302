#pragma once

#include <string>

#include "cluster/cluster_directory.hpp"
#include "hub/local_delivery.hpp"

namespace socketchat::detail {

// Where a node's messages for other nodes go: one publish per message, on a channel.
// Any thread; never blocks (ClusterLink queues it for its Redis connection).
class ClusterPublisher {
 public:
  virtual ~ClusterPublisher() = default;
  virtual const std::string& node() const noexcept = 0;
  virtual void publish(std::string channel, std::string payload) = 0;
};

// The Delivery of a cluster's node: this node's users at once (LocalDelivery), and one
// publish per message for the other nodes, which deliver it to theirs (ClusterLink):
// on `sc:feed` for everyone and rooms (always: this node's view of the others' members
// may be a moment behind theirs), on the recipient's node's channel for a DM. Joins, parts and
// departures reach the other nodes as Redis's own events (ClusterPresence), not from here.
class ClusterDelivery final : public Delivery {
 public:
  ClusterDelivery(const ClusterDirectory& directory, ClusterPublisher& publisher)
      : directory_(directory), local_(directory.local()), publisher_(publisher) {}

  void to_everyone(const ServerMessage& message, const Peer* except) override;
  std::string_view to_room(std::string_view room_key, ServerMessage message,
                           const Peer* except) override;
  std::string_view to_user(std::string_view name, const ServerMessage& message) override;

  // For what other nodes send: to this node's users only.
  Delivery& local() noexcept { return local_; }

 private:
  const ClusterDirectory& directory_;
  LocalDelivery local_;
  ClusterPublisher& publisher_;
};

}  // namespace socketchat::detail
