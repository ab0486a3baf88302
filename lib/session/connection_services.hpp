#pragma once

#include <asio/execution_context.hpp>

#include "session/deadlines.hpp"
#include "session/write_turns.hpp"

namespace socketchat::detail {

// The services of its io_context a connection uses, found once per context, so that
// each connection holds one reference to them, not one each (a connection's size is
// the server's memory at scale). Made after the services it names, so destroyed
// before them.
class ConnectionServices final : public asio::execution_context::service {
 public:
  using key_type = ConnectionServices;
  static inline asio::execution_context::id id;

  explicit ConnectionServices(asio::execution_context& context)
      : service(context),
        write_turns(asio::use_service<WriteTurns>(context)),
        deadlines(asio::use_service<Deadlines>(context)) {}

  WriteTurns& write_turns;
  Deadlines& deadlines;

 private:
  void shutdown() override {}
};

}  // namespace socketchat::detail
