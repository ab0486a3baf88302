#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "socketchat/protocol.hpp"

namespace socketchat::detail {

// The protocols a server speaks, by name: the line protocol ("line") and IRC ("irc")
// built in, and any an embedder adds (Server::add_protocol) before the server starts.
// After that it is only read, from any thread, without a lock.
class Protocols {
 public:
  explicit Protocols(std::size_t max_line_bytes);

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
  std::vector<Subprotocol> subprotocols_;
};

}  // namespace socketchat::detail
