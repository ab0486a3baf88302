#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/address_range.hpp"
#include "server/connection.hpp"
#include "socketchat/options.hpp"
#include "socketchat/reply_error.hpp"

namespace socketchat::detail {

class EventBus;
class Hub;
class Settings;
class Workers;

// The open connections of one server: the connection limits they are admitted under,
// and the graceful stop of them all.
class ConnectionTable {
 public:
  ConnectionTable(const Settings& settings, Hub& hub, EventBus& bus, Workers& workers)
      : settings_(settings), hub_(hub), bus_(bus), workers_(workers) {}

  std::uint64_t next_connection_id() noexcept { return next_id_.fetch_add(1) + 1; }

  // Admits a new remote connection from `address`, or says which limit refuses it.
  std::optional<ReplyError> admit(const std::string& address);
  // Tells the sinks of a connection refused by admit().
  void publish_refusal(const std::string& address, ReplyError why);
  // Rolls back admit() for a connection that never became a session.
  void release(const std::string& address);
  // Registers an admitted connection (`address` set) or an in-process one (empty
  // address, not counted against the limits); false if the server is stopping.
  bool add(std::shared_ptr<Connection> connection, const std::string& address);
  // Unregisters it; an admitted connection's place under the limits is given back.
  void remove(Connection& connection);

  // Begins a graceful stop of every connection; calls on_drained once none is left.
  // Messages being stored are delivered first: the connections are told to stop once
  // none is in flight, or after shutdown_timeout.
  void shut_down(std::function<void()> on_drained);
  bool stopping() const noexcept { return stopping_.load(); }

  // A connection's Peer::defer has finished work the Hub handed over (Hub::end_work).
  void hub_work_ended();

  std::size_t connection_count() const;  // remote and in-process

 private:
  void drained_if_done_locked(std::unique_lock<std::mutex>& lock);
  void release_locked(const std::string& address);
  void tell_connections_to_stop();  // once, after the Hub's work in flight

  const Settings& settings_;
  Hub& hub_;
  EventBus& bus_;
  Workers& workers_;
  std::atomic<std::uint64_t> next_id_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stop_told_{false};
  std::shared_ptr<void> stop_timer_;  // an asio::steady_timer: shutdown_timeout for the above

  mutable std::mutex mutex_;
  std::size_t admitted_ = 0;  // remote connections, including those being set up
  struct Entry {
    std::shared_ptr<Connection> connection;
    // Its key in per_address_, which lives while the connection is counted there, so
    // that a connection need not keep its address itself; null: in-process.
    const std::string* address;
  };
  // In no order: each connection knows its index (Connection::table_slot), and the last
  // takes the place of one removed. 24 bytes a connection, where a hash map's node and
  // bucket took about 60 (a connection's size is the server's memory at scale).
  std::vector<Entry> connections_;
  std::unordered_map<std::string, std::size_t> per_address_;
  // connection_limit_exempt of the options in effect (parsed again when they change).
  bool exempt_locked(const std::string& address);
  const ServerOptions* exempt_of_ = nullptr;
  std::vector<AddressRange> exempt_;
  std::function<void()> on_drained_;
  std::shared_ptr<void> alive_ = std::make_shared<int>(0);  // expires with the table
};

}  // namespace socketchat::detail
