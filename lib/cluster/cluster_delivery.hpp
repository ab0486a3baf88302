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
  // Whether what is published now reaches Redis: connected, and not too much waiting.
  // Any thread.
  virtual bool publishing() const noexcept = 0;
};

// The Delivery of a cluster's node. With history, a message reaches every node, this
// one too, from Redis, which publishes it with the record that stores it
// (publish_history_as): so every recipient gets it exactly when it is stored, or nobody
// does, and ClusterLink delivers it to each node's users. Without history (nothing
// stored) this delivers to this node's users at once and publishes it for the others:
// on `sc:feed` for everyone and rooms, on the recipient's node's channel for a DM.
// Joins, parts and departures are delivered here and reach the other nodes as Redis's
// own events (ClusterPresence).
class ClusterDelivery final : public Delivery {
 public:
  ClusterDelivery(const ClusterDirectory& directory, ClusterPublisher& publisher,
                  bool history_publishes)
      : directory_(directory),
        local_(directory.local()),
        publisher_(publisher),
        history_publishes_(history_publishes) {}

  void to_everyone(const ServerMessage& message, const Peer* except) override;
  std::string_view to_room(std::string_view room_key, ServerMessage message,
                           const Peer* except) override;
  std::string_view to_user(std::string_view name, const ServerMessage& message) override;
  // With history, Redis takes a message with its record (or refuses both); without,
  // only while it can be published.
  bool accepting() const noexcept override { return history_publishes_ || publisher_.publishing(); }
  // With history, this node's users get a MSG or SAY (its sender's copy too) once Redis
  // publishes it; a DM's sender gets its copy from the Hub all the same.
  bool delivers_later(const ServerMessage& message) const noexcept override {
    return history_publishes_ && is_stored_kind(message.kind) &&
           (message.notice == Notice::message || message.notice == Notice::room_message);
  }

  // For what other nodes send: to this node's users only.
  Delivery& local() noexcept { return local_; }

 private:
  const ClusterDirectory& directory_;
  LocalDelivery local_;
  ClusterPublisher& publisher_;
  bool history_publishes_;
};

}  // namespace socketchat::detail
