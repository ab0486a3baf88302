#include "server/connection_table.hpp"

#include <algorithm>

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>

#include "hub/hub.hpp"
#include "server/settings.hpp"
#include "server/workers.hpp"
#include "sinks/event_bus.hpp"
#include "socketchat/error.hpp"
#include "util/buffer_release.hpp"

namespace socketchat::detail {

std::optional<ReplyError> ConnectionTable::admit(const std::string& address) {
  std::lock_guard lock(mutex_);
  if (stopping_) return ReplyError::server_full;
  const std::size_t max_total = settings_.limits().max_connections();
  const std::size_t max_per_address = settings_.limits().max_connections_per_ip();
  if (max_total != 0 && admitted_ >= max_total) return ReplyError::server_full;
  if (max_per_address != 0 && !exempt_locked(address)) {
    auto it = per_address_.find(address);
    if (it != per_address_.end() && it->second >= max_per_address) {
      return ReplyError::too_many_connections;
    }
  }
  ++admitted_;
  ++per_address_[address];
  return std::nullopt;
}

bool ConnectionTable::exempt_locked(const std::string& address) {
  const ServerOptions& current = settings_.options();
  if (&current != exempt_of_) {
    exempt_of_ = &current;
    exempt_.clear();
    for (const auto& text : current.connection_limit_exempt) {
      if (auto range = AddressRange::parse(text)) exempt_.push_back(*range);
    }
  }
  std::error_code ec;
  auto parsed = asio::ip::make_address(address, ec);
  if (ec) return true;  // not an IP address (a Unix socket's clients): no host to limit
  if (exempt_.empty()) return false;
  return std::any_of(exempt_.begin(), exempt_.end(),
                     [&](const AddressRange& range) { return range.contains(parsed); });
}

void ConnectionTable::publish_refusal(const std::string& address, ReplyError why) {
  Event event{
      .kind = EventKind::error,
      .time = {},
      .remote = address,
      .detail = code_of(why),
      .reason = why == ReplyError::server_full ? errc::server_full : errc::too_many_connections};
  bus_.publish(event);
}

void ConnectionTable::release(const std::string& address) {
  std::unique_lock lock(mutex_);
  release_locked(address);
  drained_if_done_locked(lock);
}

void ConnectionTable::release_locked(const std::string& address) {
  --admitted_;
  if (auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0) {
    per_address_.erase(it);  // `address` may be this key: not used after
  }
}

bool ConnectionTable::add(std::shared_ptr<Connection> connection, const std::string& address) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    if (!address.empty()) release(address);
    return false;
  }
  const std::string* counted = nullptr;
  if (!address.empty()) {
    if (auto it = per_address_.find(address); it != per_address_.end()) counted = &it->first;
  }
  connection->table_slot() = static_cast<std::uint32_t>(connections_.size());
  connections_.push_back(Entry{std::move(connection), counted});
  return true;
}

void ConnectionTable::remove(Connection& connection) {
  std::shared_ptr<Connection> last;  // destroyed after the lock is released
  std::unique_lock lock(mutex_);
  const std::uint32_t slot = connection.table_slot();
  if (slot >= connections_.size() || connections_[slot].connection.get() != &connection) return;
  connection.table_slot() = Connection::no_table_slot;
  last = std::move(connections_[slot].connection);
  const std::string* counted = connections_[slot].address;
  if (slot + 1 != connections_.size()) {
    connections_[slot] = std::move(connections_.back());
    connections_[slot].connection->table_slot() = slot;
  }
  connections_.pop_back();
  // Memory back after a burst of connections.
  shrink_if_sparse(connections_, 1024, connections_.size(), 2 * connections_.size());
  if (counted) release_locked(*counted);
  drained_if_done_locked(lock);
}

void ConnectionTable::shut_down(std::function<void()> on_drained) {
  {
    std::unique_lock lock(mutex_);
    if (stopping_.exchange(true)) return;
    on_drained_ = std::move(on_drained);
    if (hub_.work_in_flight() != 0 && !workers_.empty()) {
      // Everyone still online receives the messages already taken; their senders
      // may even be gone (Session::on_settled). Then the connections are told.
      auto timer = std::make_shared<asio::steady_timer>(workers_.front());
      timer->expires_after(settings_.limits().shutdown_timeout());
      timer->async_wait([this, alive = std::weak_ptr<void>(alive_)](std::error_code ec) {
        if (auto still = alive.lock(); still && !ec) tell_connections_to_stop();
      });
      stop_timer_ = timer;
      if (hub_.work_in_flight() != 0) return;
    }
  }
  tell_connections_to_stop();
}

void ConnectionTable::hub_work_ended() {
  if (hub_.end_work() && stopping_.load()) {
    tell_connections_to_stop();
  }
}

void ConnectionTable::tell_connections_to_stop() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::unique_lock lock(mutex_);
    if (!stopping_ || !on_drained_ || stop_told_.exchange(true)) return;
    if (stop_timer_) {
      auto timer = std::static_pointer_cast<asio::steady_timer>(stop_timer_);
      asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    }
    hub_.set_quiet(true);
    for (const auto& entry : connections_) open.push_back(entry.connection);
    drained_if_done_locked(lock);
  }
  for (const auto& connection : open) connection->shut_down();
}

void ConnectionTable::drained_if_done_locked(std::unique_lock<std::mutex>& lock) {
  if (!stopping_ || admitted_ != 0 || !connections_.empty() || !on_drained_) return;
  auto done = std::move(on_drained_);
  on_drained_ = nullptr;
  lock.unlock();
  done();
}

std::size_t ConnectionTable::connection_count() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

}  // namespace socketchat::detail
