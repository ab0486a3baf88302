#pragma once

#include <memory>
#include <string>

#include <asio/post.hpp>

#include "server/connection_table.hpp"
#include "session/session_context.hpp"
#include "session/session_impl.hpp"

namespace socketchat::detail {

// Makes a session over `link` for an admitted connection (ConnectionTable::admit) and
// starts it, unless the server is stopping. Each transport calls it for its own links,
// which is where Session<Link> is instantiated.
template <class Link>
void start_session(const SessionContext& context, const Protocol& protocol, Link link,
                   std::string remote, const std::string& address) {
  auto session =
      std::make_shared<Session<Link>>(context, protocol, std::move(link),
                                      context.connections.next_connection_id(), std::move(remote));
  if (context.connections.add(session, address)) {
    asio::post(session->get_executor(), [session] { session->start(); });
  }
}

}  // namespace socketchat::detail
