#include "stderr_log.hpp"

#include <limits.h>  // PIPE_BUF
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <ostream>
#include <streambuf>

#include <socketchat/json_sink.hpp>
#include <socketchat/log_sink.hpp>

namespace socketchatd::stderr_log {

namespace {

using Clock = std::chrono::steady_clock;

// Whose turn it is to write to fd 2: a flag under a mutex and a condition variable
// rather than std::timed_mutex, whose timed lock ThreadSanitizer does not model.
class WriterTurn {
 public:
  // Takes the turn, waiting at most until `deadline` (none: for ever); false if not.
  bool take(std::optional<Clock::time_point> deadline) {
    std::unique_lock lock(mutex_);
    auto free = [this] { return !busy_; };
    if (!deadline) {
      freed_.wait(lock, free);
    } else if (!freed_.wait_until(lock, *deadline, free)) {
      return false;
    }
    busy_ = true;
    return true;
  }
  void give_back() {
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    freed_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  bool busy_ = false;
};

WriterTurn& writer_turn() {
  static WriterTurn turn;
  return turn;
}

// Holds the turn to write until it goes out of scope.
struct HeldTurn {
  bool held;
  explicit HeldTurn(std::optional<Clock::time_point> deadline)
      : held(writer_turn().take(deadline)) {}
  ~HeldTurn() {
    if (held) writer_turn().give_back();
  }
  HeldTurn(const HeldTurn&) = delete;
  HeldTurn& operator=(const HeldTurn&) = delete;
};

// Waits until fd 2 takes more bytes, or until the deadline (none: for ever). False on
// timeout or when stderr is gone.
bool wait_writable(std::optional<Clock::time_point> deadline) {
  for (;;) {
    int timeout = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
      if (left.count() <= 0) return false;
      timeout = static_cast<int>(std::min<std::int64_t>(left.count(), 60'000));
    }
    pollfd fd{.fd = STDERR_FILENO, .events = POLLOUT, .revents = 0};
    int ready = ::poll(&fd, 1, timeout);
    if (ready > 0) return (fd.revents & POLLNVAL) == 0;
    if (ready < 0 && errno != EINTR) return false;
  }
}

// Writes all of `text` to fd 2. With a deadline it waits for room before each write and
// writes at most PIPE_BUF bytes at a time, which a pipe with room takes without blocking.
// Stops early when stderr fails (closed, or a reader that went away): nothing to do then.
bool write_all(std::string_view text, std::optional<Clock::time_point> deadline) {
  while (!text.empty()) {
    if (deadline && !wait_writable(deadline)) return false;
    std::size_t chunk = deadline ? std::min<std::size_t>(text.size(), PIPE_BUF) : text.size();
    ssize_t written = ::write(STDERR_FILENO, text.data(), chunk);
    if (written >= 0) {
      text.remove_prefix(static_cast<std::size_t>(written));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {  // stderr was made non-blocking
      if (!wait_writable(deadline)) return false;
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

// Holds what a sink writes until it flushes, then hands it to write() in one piece.
class BatchBuffer final : public std::streambuf {
 protected:
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      pending_.push_back(traits_type::to_char_type(c));
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* text, std::streamsize size) override {
    pending_.append(text, static_cast<std::size_t>(size));
    return size;
  }
  int sync() override {
    write(pending_);
    pending_.clear();
    if (pending_.capacity() > (64 << 10)) pending_.shrink_to_fit();  // a burst leaves no peak
    return 0;
  }

 private:
  std::string pending_;
};

// A LogSink or JsonSink with a stream of its own onto stderr.
template <class Sink>
class StderrSink final : public socketchat::EventSink {
 public:
  void on_event(const socketchat::Event& event) noexcept override { sink_.on_event(event); }
  void flush() noexcept override { sink_.flush(); }

 private:
  BatchBuffer buffer_;
  std::ostream out_{&buffer_};
  Sink sink_{out_, Sink::Buffering::batch};
};

}  // namespace

void write(std::string_view text) noexcept {
  HeldTurn turn(std::nullopt);
  write_all(text, std::nullopt);
}

bool try_write(std::string_view text, std::chrono::milliseconds patience) noexcept {
  auto deadline = Clock::now() + patience;
  HeldTurn turn(deadline);
  if (!turn.held) return false;
  return write_all(text, deadline);
}

std::shared_ptr<socketchat::EventSink> make_sink(const std::string& format) {
  if (format == "json") return std::make_shared<StderrSink<socketchat::JsonSink>>();
  return std::make_shared<StderrSink<socketchat::LogSink>>();
}

}  // namespace socketchatd::stderr_log
