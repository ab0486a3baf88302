#include "detail/core.hpp"

#include "detail/session.hpp"

namespace socketchat::detail {

Core::Core(ServerOptions options)
    : options_(std::move(options)), line_protocol_(options_.max_line_bytes) {}

std::optional<ReplyError> Core::admit(const std::string& address) {
  std::lock_guard lock(mutex_);
  if (stopping_) return ReplyError::server_full;
  if (options_.max_connections != 0 && admitted_ >= options_.max_connections) {
    return ReplyError::server_full;
  }
  if (options_.max_connections_per_ip != 0) {
    auto it = per_address_.find(address);
    if (it != per_address_.end() && it->second >= options_.max_connections_per_ip) {
      return ReplyError::too_many_connections;
    }
  }
  ++admitted_;
  ++per_address_[address];
  return std::nullopt;
}

void Core::release(const std::string& address) {
  std::unique_lock lock(mutex_);
  --admitted_;
  if (auto it = per_address_.find(address); it != per_address_.end() && --it->second == 0) {
    per_address_.erase(it);
  }
  drained_if_done_locked(lock);
}

bool Core::add(std::shared_ptr<Session> session, const std::string& address) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    release(address);
    return false;
  }
  Session* key = session.get();
  sessions_.emplace(key, std::move(session));
  return true;
}

void Core::remove(Session& session, const std::string& address) {
  std::shared_ptr<Session> last;  // destroyed after the lock is released
  {
    std::unique_lock lock(mutex_);
    auto it = sessions_.find(&session);
    if (it == sessions_.end()) return;
    last = std::move(it->second);
    sessions_.erase(it);
  }
  release(address);
}

void Core::shut_down(std::function<void()> on_drained) {
  std::vector<std::shared_ptr<Session>> open;
  {
    std::unique_lock lock(mutex_);
    if (stopping_.exchange(true)) return;
    on_drained_ = std::move(on_drained);
    hub_.set_quiet(true);
    for (const auto& [key, session] : sessions_) open.push_back(session);
    drained_if_done_locked(lock);
  }
  for (const auto& session : open) session->shut_down();
}

void Core::drained_if_done_locked(std::unique_lock<std::mutex>& lock) {
  if (!stopping_ || admitted_ != 0 || !on_drained_) return;
  auto done = std::move(on_drained_);
  on_drained_ = nullptr;
  lock.unlock();
  done();
}

std::size_t Core::connection_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace socketchat::detail
