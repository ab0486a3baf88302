#include "support/inbox.hpp"

#include <algorithm>

#include "support/line_client.hpp"

namespace socketchat::test {

std::string Inbox::all_parts(const Incoming& in) {
  return std::string(in.kind) + "|" + std::string(in.room) + "|" + std::string(in.from) + "|" +
         std::string(in.text);
}

LocalUser::Handler Inbox::handler() {
  return [this](LocalUser&, const Incoming& in) {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(in.line);
    parts_.push_back(describe_(in));
    changed_.notify_all();
  };
}

std::string Inbox::next() {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, default_wait, [&] { return read_ < lines_.size(); })) {
    return "<no line within " + std::to_string(default_wait.count()) + " ms>";
  }
  return lines_[read_++];
}

std::string Inbox::last_parts() {
  std::lock_guard lock(mutex_);
  return read_ > 0 ? parts_[read_ - 1] : std::string();
}

bool Inbox::wait_for(const std::string& line) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, default_wait, [&] {
    return std::find(lines_.begin(), lines_.end(), line) != lines_.end();
  });
}

bool Inbox::wait_for_start(const std::string& start, const std::string& end) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, default_wait, [&] {
    return std::any_of(lines_.begin(), lines_.end(), [&](const std::string& line) {
      return line.starts_with(start) && line.ends_with(end);
    });
  });
}

std::vector<std::string> Inbox::parts() {
  std::lock_guard lock(mutex_);
  return parts_;
}

}  // namespace socketchat::test
