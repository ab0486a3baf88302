#include "session/write_turns.hpp"

#include <array>

#include <asio/post.hpp>

#include "server/connection.hpp"
#include "util/buffer_release.hpp"

namespace socketchat::detail {

WriteTurns::WriteTurns(asio::execution_context& context)
    : asio::execution_context::service(context),
      context_(static_cast<asio::io_context&>(context)) {}

void WriteTurns::schedule(std::shared_ptr<Connection> writer) {
  std::lock_guard lock(mutex_);
  waiting_.push_back(std::move(writer));
  if (posted_ || holds_ != 0) return;  // release() posts it
  posted_ = true;
  asio::post(context_, [this] { run_turn(); });
}

void WriteTurns::hold() {
  std::lock_guard lock(mutex_);
  ++holds_;
}

void WriteTurns::release() {
  std::lock_guard lock(mutex_);
  if (--holds_ != 0 || posted_ || next_ == waiting_.size()) return;
  posted_ = true;
  asio::post(context_, [this] { run_turn(); });
}

void WriteTurns::run_turn() {
  std::array<std::shared_ptr<Connection>, writes_per_turn> turn;
  std::size_t count = 0;
  {
    std::lock_guard lock(mutex_);
    if (holds_ != 0) {  // release() posts the next one
      posted_ = false;
      return;
    }
    while (count < turn.size() && next_ < waiting_.size())
      turn[count++] = std::move(waiting_[next_++]);
  }
  for (std::size_t i = 0; i < count; ++i) turn[i]->write_turn();
  std::lock_guard lock(mutex_);
  if (next_ < waiting_.size()) {  // the rest after the input that came meanwhile
    if (next_ >= compact_above && next_ * 2 >= waiting_.size()) {
      // Writers keep coming back before the queue empties: forget the served slots (no
      // more moves than slots served since the last time, so O(1) a turn on average).
      waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(next_));
      next_ = 0;
    }
    asio::post(context_, [this] { run_turn(); });
    return;
  }
  const std::size_t used = waiting_.size();
  waiting_.clear();  // keeps its capacity: no allocation per round...
  shrink_if_sparse(waiting_, shrink_above, used, used);  // ...unless a burst left it far larger
  next_ = 0;
  posted_ = false;
}

std::size_t WriteTurns::capacity() const {
  std::lock_guard lock(mutex_);
  return waiting_.capacity();
}

void WriteTurns::shutdown() {
  std::lock_guard lock(mutex_);
  waiting_.clear();
  next_ = 0;
}

}  // namespace socketchat::detail
