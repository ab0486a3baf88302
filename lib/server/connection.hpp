#pragma once

namespace socketchat::detail {

// What the server needs of every open connection, remote or in-process, to stop.
class Connection {
 public:
  // Begins a graceful stop: "INFO server shutting down", drain, close. Any thread.
  virtual void shut_down() = 0;

 protected:
  ~Connection() = default;
};

}  // namespace socketchat::detail
