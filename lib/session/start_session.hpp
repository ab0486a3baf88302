#pragma once

#include <memory>
#include <string>

#include <asio/post.hpp>

#include "server/core.hpp"
#include "session/session_impl.hpp"

namespace socketchat::detail {

// Makes a session over `link` for an admitted connection (Core::admit) and starts it,
// unless the server is stopping. Each transport calls it for its own links, which is
// where Session<Link> is instantiated.
template <class Link>
void start_session(Core& core, const Protocol& protocol, Link link, std::string remote,
                   const std::string& address) {
  auto session = std::make_shared<Session<Link>>(
      core, protocol, std::move(link), core.next_connection_id(), std::move(remote), address);
  if (core.add(session, address)) {
    asio::post(session->get_executor(), [session] { session->start(); });
  }
}

}  // namespace socketchat::detail
