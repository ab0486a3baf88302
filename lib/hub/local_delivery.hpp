#pragma once

#include "hub/delivery.hpp"
#include "hub/local_directory.hpp"

namespace socketchat::detail {

// Delivery within this process: straight onto the recipients' queues (Peer::send),
// found in the tables of the LocalDirectory it is made with.
class LocalDelivery final : public Delivery {
 public:
  explicit LocalDelivery(const LocalDirectory& directory) : directory_(directory) {}

  void to_everyone(const ServerMessage& message, const Peer* except) override;
  std::string_view to_room(std::string_view room_key, ServerMessage message,
                           const Peer* except) override;
  std::string_view to_user(std::string_view name, const ServerMessage& message) override;
  void to_everyone_run(std::span<const Outgoing> run) override;
  std::string_view to_room_run(std::string_view room_key, std::span<Outgoing> run) override;

 private:
  const LocalDirectory& directory_;
};

}  // namespace socketchat::detail
