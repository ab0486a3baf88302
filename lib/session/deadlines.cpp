#include "session/deadlines.hpp"

#include "util/buffer_release.hpp"

namespace socketchat::detail {

Deadlines::Deadlines(asio::execution_context& context)
    : asio::execution_context::service(context), timer_(static_cast<asio::io_context&>(context)) {}

void Deadlines::schedule(Timed& timed, Clock::time_point at) {
  std::lock_guard lock(mutex_);
  Entry entry{at, &timed};
  std::size_t slot = timed.slot_;
  if (slot == Timed::unscheduled) {
    slot = heap_.size();
    heap_.push_back(entry);
  }
  // Up for an earlier deadline, down for a later one; the other loop stops at once.
  place(sift_down(sift_up(slot, entry), entry), entry);
  arm_locked();
}

void Deadlines::cancel(Timed& timed) {
  std::lock_guard lock(mutex_);
  if (timed.slot_ != Timed::unscheduled) remove_locked(timed.slot_);
  if (heap_.empty() && armed_for_ != Clock::time_point::max()) {
    // Nothing left to wait for: a wait left on would keep the io_context from ending.
    timer_.cancel();
    armed_for_ = Clock::time_point::max();
  }
}

std::size_t Deadlines::scheduled() const {
  std::lock_guard lock(mutex_);
  return heap_.size();
}

std::size_t Deadlines::capacity() const {
  std::lock_guard lock(mutex_);
  return heap_.capacity();
}

void Deadlines::shutdown() {
  std::lock_guard lock(mutex_);
  for (auto& entry : heap_) entry.timed->slot_ = Timed::unscheduled;
  heap_.clear();
  armed_for_ = Clock::time_point::max();
}

void Deadlines::on_timer(std::error_code ec) {
  if (ec == asio::error::operation_aborted) return;  // moved earlier: a newer wait is on
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  // A wait that had completed before the timer was moved also lands here: the newer
  // wait is still on unless its expiry has passed too.
  if (timer_.expiry() <= now) armed_for_ = Clock::time_point::max();
  while (!heap_.empty() && heap_.front().at <= now) {
    Timed* timed = heap_.front().timed;
    remove_locked(0);
    timed->deadline_passed();
  }
  arm_locked();
}

void Deadlines::arm_locked() {
  if (heap_.empty() || heap_.front().at >= armed_for_) return;  // the timer fires first
  armed_for_ = heap_.front().at;
  timer_.expires_at(armed_for_);
  timer_.async_wait([this](std::error_code ec) { on_timer(ec); });
}

void Deadlines::remove_locked(std::size_t slot) {
  heap_[slot].timed->slot_ = Timed::unscheduled;
  Entry last = heap_.back();
  heap_.pop_back();
  if (slot < heap_.size()) place(sift_down(sift_up(slot, last), last), last);
  shrink_if_sparse(heap_, shrink_above, heap_.size(), 2 * heap_.size());  // after a burst
}

void Deadlines::place(std::size_t slot, Entry entry) {
  heap_[slot] = entry;
  entry.timed->slot_ = static_cast<std::uint32_t>(slot);
}

std::size_t Deadlines::sift_up(std::size_t slot, const Entry& entry) {
  while (slot > 0) {
    std::size_t parent = (slot - 1) / 2;
    if (heap_[parent].at <= entry.at) break;
    place(slot, heap_[parent]);
    slot = parent;
  }
  return slot;
}

std::size_t Deadlines::sift_down(std::size_t slot, const Entry& entry) {
  for (;;) {
    std::size_t child = 2 * slot + 1;
    if (child >= heap_.size()) break;
    if (child + 1 < heap_.size() && heap_[child + 1].at < heap_[child].at) ++child;
    if (entry.at <= heap_[child].at) break;
    place(slot, heap_[child]);
    slot = child;
  }
  return slot;
}

}  // namespace socketchat::detail
