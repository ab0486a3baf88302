#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "socketchat/protocol.hpp"

namespace socketchat::detail {

class IrcProtocol;

// The protocols a server speaks, by name: the line protocol ("line") and IRC ("irc")
// built in, and any an embedder adds (Server::add_protocol) before the server starts.
// After that it is only read, from any thread, without a lock.
class Protocols {
 public:
  // The line protocol for lines of max_line_bytes; IRC with its server's name (empty:
  // the host's).
  Protocols(std::size_t max_line_bytes, std::string irc_server_name);

  // Reads what the built-in IRC protocol shows from a file: its MOTD (motd_file). Before
  // the server starts; throws config_error.
  void read_irc_motd(const std::string& path);

  // Throws config_error for an empty or taken name, or a taken WebSocket subprotocol.
  void add(std::string name, std::shared_ptr<const Protocol> protocol);

  // Null if no protocol has that name.
  const Protocol* find(std::string_view name) const noexcept;
  const Protocol& line() const noexcept { return *entries_.front().protocol; }

  // The protocol a WebSocket client asks for by subprotocol name, if any does.
  struct Subprotocol {
    std::string name;
    bool binary = false;
    const Protocol* protocol = nullptr;
  };
  const Subprotocol* find_subprotocol(std::string_view name) const noexcept;

 private:
  struct Entry {
    std::string name;
    std::shared_ptr<const Protocol> protocol;
  };
  std::vector<Entry> entries_;
  std::shared_ptr<IrcProtocol> irc_;
  std::vector<Subprotocol> subprotocols_;
};

}  // namespace socketchat::detail
