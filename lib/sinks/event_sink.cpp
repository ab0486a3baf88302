#include "socketchat/event_sink.hpp"

namespace socketchat {

std::string_view to_string(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::connect:
      return "connect";
    case EventKind::login:
      return "login";
    case EventKind::message:
      return "msg";
    case EventKind::direct_message:
      return "dm";
    case EventKind::disconnect:
      return "disconnect";
    case EventKind::error:
      return "error";
    case EventKind::room_message:
      return "say";
    case EventKind::joined:
      return "join";
    case EventKind::left:
      return "part";
  }
  return "unknown";
}

void BasicSink::on_event(const Event& event) noexcept {
  std::lock_guard lock(mutex_);
  try {
    handle(event);
  } catch (const std::exception& e) {
    if (on_error_) {
      try {
        on_error_(e);
      } catch (...) {  // an error handler that throws has nowhere left to report
      }
    }
  } catch (...) {
  }
}

void BasicSink::flush() noexcept {
  std::lock_guard lock(mutex_);
  try {
    flush_buffer();
  } catch (const std::exception& e) {
    if (on_error_) {
      try {
        on_error_(e);
      } catch (...) {
      }
    }
  } catch (...) {
  }
}

void BasicSink::set_error_handler(ErrorHandler handler) {
  std::lock_guard lock(mutex_);
  on_error_ = std::move(handler);
}

}  // namespace socketchat
