#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "hub/peer.hpp"

namespace socketchat::detail {

// What the server needs of every open connection, remote or in-process, to stop: a
// Peer (what the Hub sees of it) the ConnectionTable holds, and whose writes take turns
// (WriteTurns). A Peer, not beside one, so that a connection carries one table of
// virtual functions for all three (a connection's size is the server's memory at scale).
class Connection : public Peer {
 public:
  Connection(std::uint64_t id, std::string remote) : Peer(id, std::move(remote)) {}

  // Begins a graceful stop: "INFO server shutting down", drain, close. Any thread.
  virtual void shut_down() = 0;

  // Its turn in its io_context's WriteTurns (session/write_turns.hpp), which it asked
  // for: writes what it has queued, on its own strand.
  virtual void write_turn() = 0;

  // Where the ConnectionTable keeps it: an index the table sets and reads under its lock,
  // and the connection only stores (a Session, where its last base would pad).
  static constexpr std::uint32_t no_table_slot = UINT32_MAX;
  virtual std::uint32_t& table_slot() noexcept = 0;

 protected:
  ~Connection() = default;
};

}  // namespace socketchat::detail
