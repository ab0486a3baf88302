#pragma once

namespace socketchat::detail {

class ConnectionTable;
class EventBus;
class Hub;
class Metrics;
class OutputLocks;
class Settings;
class Workers;

// What a connection may use of its server, and the listeners that make connections:
// plain references to the parts Core owns, read with no virtual call. One per server
// (Core::sessions()), as long-lived as the server.
struct SessionContext {
  Hub& hub;
  EventBus& bus;
  Metrics& metrics;
  const Settings& settings;
  ConnectionTable& connections;  // the limits, the table of open connections
  Workers& workers;              // the io_context each new connection runs on
  OutputLocks& output_locks;     // of the connections' output queues
};

}  // namespace socketchat::detail
