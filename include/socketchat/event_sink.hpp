#pragma once

#include <exception>
#include <functional>
#include <mutex>

#include "socketchat/event.hpp"

namespace socketchat {

// Observes what happens in a server: logs, audit trails, metrics, persistence.
// on_event() is called on the server's I/O threads, possibly on several at once; it
// must not block for long (a slow sink buffers, batches or drops).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_event(const Event& event) noexcept = 0;
  // The end of a batch: a sink that buffers writes out what it holds. AsyncSink calls
  // it after each batch it delivers; sinks called directly need not buffer at all.
  virtual void flush() noexcept {}
};

// The base to derive sinks from: on_event() serialises calls and catches exceptions,
// so an implementation writes only handle() and cannot forget the lock or leak an
// exception into the server. Errors go to the error handler (default: ignored).
class BasicSink : public EventSink {
 public:
  using ErrorHandler = std::function<void(const std::exception&)>;

  void on_event(const Event& event) noexcept final;
  void flush() noexcept final;
  void set_error_handler(ErrorHandler handler);

 protected:
  virtual void handle(const Event& event) = 0;  // called under the sink's lock
  virtual void flush_buffer() {}                // likewise

 private:
  std::mutex mutex_;
  ErrorHandler on_error_;
};

}  // namespace socketchat
