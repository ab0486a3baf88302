#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "socketchat/protocol.hpp"
#include "socketchat/transport.hpp"
#include "transport/listen_url.hpp"
#include "transport/listener.hpp"

namespace asio::ssl {
class context;
}

namespace socketchat::detail {

class Protocols;
struct SessionContext;

// The transports a server listens with, by URL scheme: the built-in ones
// (builtin_transports.cpp) and any an embedder adds (Server::add_transport) before
// the server starts.
class Transports {
 public:
  // Throws config_error for a scheme that is not a URL scheme, built in, or taken.
  void add(std::string scheme, std::shared_ptr<Transport> transport);

  // What a listener URL asks for, checked: throws config_error naming the URL when its
  // scheme or protocol is unknown, or a built-in transport's address is malformed.
  const Protocol& protocol_of(const ListenUrl& url, const Protocols& protocols) const;

  // Listens at `url` (throws config_error when it cannot), accepting on `context`; its
  // connections speak one of `protocols` and run with `sessions`.
  std::shared_ptr<Listener> listen(const SessionContext& sessions, const Protocols& protocols,
                                   asio::io_context& context, const ListenUrl& url,
                                   std::shared_ptr<asio::ssl::context> tls) const;

 private:
  Transport* find(std::string_view scheme) const noexcept;

  struct Entry {
    std::string scheme;
    std::shared_ptr<Transport> transport;
  };
  std::vector<Entry> added_;
};

}  // namespace socketchat::detail
