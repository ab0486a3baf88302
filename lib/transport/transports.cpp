#include "transport/transports.hpp"

#include <fmt/format.h>

#include "protocol/protocols.hpp"
#include "socketchat/error.hpp"
#include "transport/builtin_transports.hpp"
#include "transport/stream_listener.hpp"
#include "transport/tcp_listener.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

// RFC 3986 section 3.1: a letter, then letters, digits, "+", "-" or ".".
bool is_scheme(std::string_view scheme) {
  if (scheme.empty() || !(std::isalpha(static_cast<unsigned char>(scheme.front())))) return false;
  for (char c : scheme) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

}  // namespace

void Transports::add(std::string scheme, std::shared_ptr<Transport> transport) {
  if (!transport) throw config_error("add_transport: null transport");
  scheme = ascii_lower(scheme);
  if (!is_scheme(scheme)) {
    throw config_error(fmt::format("add_transport: '{}' is not a URL scheme", scheme));
  }
  if (find_builtin_transport(scheme) || find(scheme)) {
    throw config_error(fmt::format("add_transport: '{}' is taken", scheme));
  }
  added_.push_back({std::move(scheme), std::move(transport)});
}

Transport* Transports::find(std::string_view scheme) const noexcept {
  for (const auto& entry : added_) {
    if (entry.scheme == scheme) return entry.transport.get();
  }
  return nullptr;
}

const Protocol& Transports::protocol_of(const ListenUrl& url, const Protocols& protocols) const {
  const BuiltinTransport* builtin = find_builtin_transport(url.scheme);
  if (!builtin && !find(url.scheme)) {
    throw config_error(fmt::format(
        "listener '{}': expected tcp://, tls://, ws://, wss://, irc://, ircs:// or a registered "
        "transport's scheme, followed by its address",
        url.text));
  }
  if (builtin) parse_tcp_address(url, builtin->takes_path);  // throws if malformed
  std::string_view name = !url.protocol.empty() ? std::string_view(url.protocol)
                          : builtin             ? builtin->protocol
                                                : "line";
  const Protocol* protocol = protocols.find(name);
  if (!protocol) {
    throw config_error(fmt::format("listener '{}': no protocol is named '{}'", url.text, name));
  }
  return *protocol;
}

std::shared_ptr<Listener> Transports::listen(const SessionContext& sessions,
                                             const Protocols& protocols, asio::io_context& context,
                                             const ListenUrl& url,
                                             std::shared_ptr<asio::ssl::context> tls) const {
  const Protocol& protocol = protocol_of(url, protocols);
  if (const BuiltinTransport* builtin = find_builtin_transport(url.scheme)) {
    return std::make_shared<TcpListener>(sessions, protocols, context, *builtin, url, protocol,
                                         std::move(tls));
  }
  return std::make_shared<StreamListener>(sessions, context, *find(url.scheme), url, protocol);
}

}  // namespace socketchat::detail
