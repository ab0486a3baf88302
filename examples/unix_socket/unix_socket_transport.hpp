#pragma once

// A transport of one's own: chat over a Unix-domain socket. Registered for the scheme
// "unix", it opens every listener URL "unix://<path>" (e.g. "unix:///run/chat.sock")
// and hands each connection to the server, which runs it like any other: the users on
// the socket speak the listener's protocol and chat with everyone else.
//
//   server.add_transport("unix", std::make_shared<UnixSocketTransport>());
//
// Who may connect is up to the file's permissions (the process's umask when it is
// made): tighten them to keep other local users out.

#include <memory>
#include <string_view>

#include <socketchat/transport.hpp>

class UnixSocketTransport final : public socketchat::Transport {
 public:
  // Binds `path`, replacing a stale socket file a crashed server left behind (but not
  // a live server's socket, nor a file that is no socket). Throws config_error.
  std::unique_ptr<socketchat::Listening> listen(std::string_view path,
                                                socketchat::Acceptor& acceptor) override;
};
