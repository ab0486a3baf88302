#include "transport/builtin_transports.hpp"

#include <type_traits>

#include "session/start_session.hpp"
#include "transport/tcp_link.hpp"
#include "transport/tls_link.hpp"
#include "transport/websocket/websocket_link.hpp"

namespace socketchat::detail {

namespace {

TcpLink make_link(std::type_identity<TcpLink>, TcpSocket socket, const LinkSetup&) {
  return TcpLink(std::move(socket));
}
TlsLink make_link(std::type_identity<TlsLink>, TcpSocket socket, const LinkSetup& setup) {
  return TlsLink(std::move(socket), setup.tls);
}
template <class Inner>
WebSocketLink<Inner> make_link(std::type_identity<WebSocketLink<Inner>>, TcpSocket socket,
                               const LinkSetup& setup) {
  return WebSocketLink<Inner>(setup.sessions, setup.protocols,
                              make_link(std::type_identity<Inner>{}, std::move(socket), setup),
                              setup.path);
}

template <class Link>
void open(const LinkSetup& setup, const Protocol& protocol, TcpSocket socket, std::string remote,
          std::string address) {
  start_session(setup.sessions, protocol,
                make_link(std::type_identity<Link>{}, std::move(socket), setup), std::move(remote),
                std::move(address));
}

template <class Link>
constexpr BuiltinTransport row(std::string_view scheme, std::string_view protocol,
                               bool takes_path = false) {
  return {scheme,
          protocol,
          std::is_same_v<Link, TlsLink> || std::is_same_v<Link, WebSocketLink<TlsLink>>,
          takes_path,
          &Link::refusal,
          &open<Link>};
}

constexpr BuiltinTransport builtins[] = {
    row<TcpLink>("tcp", "line"),
    row<TlsLink>("tls", "line"),
    row<WebSocketLink<TcpLink>>("ws", "line", true),
    row<WebSocketLink<TlsLink>>("wss", "line", true),
    row<TcpLink>("irc", "irc"),
    row<TlsLink>("ircs", "irc"),
};

}  // namespace

const BuiltinTransport* find_builtin_transport(std::string_view scheme) noexcept {
  for (const auto& builtin : builtins) {
    if (builtin.scheme == scheme) return &builtin;
  }
  return nullptr;
}

}  // namespace socketchat::detail
