#include "detail/write_turns.hpp"

#include <array>

#include <asio/post.hpp>

namespace socketchat::detail {

WriteTurns::WriteTurns(asio::execution_context& context)
    : asio::execution_context::service(context),
      context_(static_cast<asio::io_context&>(context)) {}

void WriteTurns::schedule(std::shared_ptr<Writer> writer) {
  std::lock_guard lock(mutex_);
  waiting_.push_back(std::move(writer));
  if (posted_) return;
  posted_ = true;
  asio::post(context_, [this] { run_turn(); });
}

void WriteTurns::run_turn() {
  std::array<std::shared_ptr<Writer>, writes_per_turn> turn;
  std::size_t count = 0;
  {
    std::lock_guard lock(mutex_);
    while (count < turn.size() && next_ < waiting_.size())
      turn[count++] = std::move(waiting_[next_++]);
  }
  for (std::size_t i = 0; i < count; ++i) turn[i]->write_turn();
  std::lock_guard lock(mutex_);
  if (next_ < waiting_.size()) {  // the rest after the input that came meanwhile
    asio::post(context_, [this] { run_turn(); });
    return;
  }
  waiting_.clear();  // keeps its capacity: no allocation per round
  next_ = 0;
  posted_ = false;
}

void WriteTurns::shutdown() {
  std::lock_guard lock(mutex_);
  waiting_.clear();
  next_ = 0;
}

}  // namespace socketchat::detail
