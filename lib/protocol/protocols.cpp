#include "protocol/protocols.hpp"

#include <fmt/format.h>

#include "protocol/irc/irc_protocol.hpp"
#include "protocol/line/line_protocol.hpp"
#include "socketchat/error.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

Protocols::Protocols(std::size_t max_line_bytes, std::string irc_server_name)
    : irc_(std::make_shared<IrcProtocol>(std::move(irc_server_name))) {
  add("line", std::make_shared<LineProtocol>(max_line_bytes));
  add("irc", irc_);
}

void Protocols::read_irc_motd(const std::string& path) {
  irc_->read_motd(path);
}

void Protocols::add(std::string name, std::shared_ptr<const Protocol> protocol) {
  if (!protocol) throw config_error("add_protocol: null protocol");
  if (name.empty() || name.find_first_of(" &=?/:") != std::string::npos) {
    throw config_error(fmt::format("add_protocol: '{}' is not a protocol name", name));
  }
  if (find(name)) throw config_error(fmt::format("add_protocol: '{}' is taken", name));
  for (auto& subprotocol : protocol->websocket_subprotocols()) {
    if (find_subprotocol(subprotocol.name)) {
      throw config_error(
          fmt::format("add_protocol: WebSocket subprotocol '{}' is taken", subprotocol.name));
    }
    subprotocols_.push_back({std::move(subprotocol.name), subprotocol.binary, protocol.get()});
  }
  entries_.push_back({std::move(name), std::move(protocol)});
}

const Protocol* Protocols::find(std::string_view name) const noexcept {
  for (const auto& entry : entries_) {
    if (iequals_ascii(entry.name, name)) return entry.protocol.get();
  }
  return nullptr;
}

// Subprotocol names are tokens compared exactly (RFC 6455 section 11.3.4).
const Protocols::Subprotocol* Protocols::find_subprotocol(std::string_view name) const noexcept {
  for (const auto& subprotocol : subprotocols_) {
    if (subprotocol.name == name) return &subprotocol;
  }
  return nullptr;
}

}  // namespace socketchat::detail
