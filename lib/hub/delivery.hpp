#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "socketchat/server_message.hpp"

namespace socketchat::detail {

class Peer;

// One message of a run: messages for the same recipients, delivered together in order.
struct Outgoing {
  ServerMessage message;
  const Peer* except = nullptr;  // who of the recipients does not get it (none when null)
};

// Takes a message to its recipients: every user, a room's members, or one user.
// LocalDelivery queues it for the connections of this process; another implementation
// (several servers) also hands it to the others.
//
// A message for many is encoded once per protocol, whoever receives it (EncodeOnce),
// and nothing is allocated per recipient. Calls are made under the Hub's lock (shared
// at least), so the recipients are the directory's as the caller sees it; like
// Peer::send, they never block.
class Delivery {
 public:
  virtual ~Delivery() = default;

  // To every logged-in user but `except` (none when null).
  virtual void to_everyone(const ServerMessage& message, const Peer* except) = 0;
  // To the members of the room with key `room_key` but `except`, the message's room
  // spelled as the room is (so a message needs one lookup of its room). Returns that
  // spelling, empty if there is no such room.
  virtual std::string_view to_room(std::string_view room_key, ServerMessage message,
                                   const Peer* except) = 0;
  // To the user with `name` (found without regard to case), spelled by that user's own
  // connection (IRC addresses a direct message to the recipient's nick). Returns the
  // name as its user spelled it, empty if nobody has it.
  virtual std::string_view to_user(std::string_view name, const ServerMessage& message) = 0;

  // A run of at most max_run messages (the history writer stored them in one batch): to
  // every logged-in user, or to a room's members (each message's room spelled as
  // to_room does), each message but to its `except`, in order. By default one by one;
  // LocalDelivery gives each recipient the whole run in one push (Peer::send_each).
  static constexpr std::size_t max_run = 32;
  virtual void to_everyone_run(std::span<const Outgoing> run) {
    for (const Outgoing& out : run) to_everyone(out.message, out.except);
  }
  virtual std::string_view to_room_run(std::string_view room_key, std::span<Outgoing> run) {
    std::string_view spelled;
    for (const Outgoing& out : run) spelled = to_room(room_key, out.message, out.except);
    return spelled;
  }

  // Whether a message that is not stored can be taken to everyone it is for now. When
  // not, the Hub refuses it (ERR storage-failed) rather than lose it. Any thread.
  virtual bool accepting() const noexcept { return true; }
  // Whether `message` reaches this node's users only later, by another way (a cluster
  // whose shared store publishes what it keeps): its sender's own copy comes that way too.
  virtual bool delivers_later(const ServerMessage& /*message*/) const noexcept { return false; }
};

}  // namespace socketchat::detail
