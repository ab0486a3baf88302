#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <socketchat/event_sink.hpp>

namespace socketchatd {

// The daemon's one way to stderr while the server runs. The text of one call goes out
// whole, in write(2) calls of its own under one lock, so a line is never cut into or
// mixed with another thread's, and no stream state is shared between threads.
namespace stderr_log {

// Writes all of `text`, waiting as long as stderr takes. For the log thread, whose
// waiting holds up nothing but the log queue (which drops when it is full).
void write(std::string_view text) noexcept;

// Writes `text` (a few short lines) unless stderr stays blocked for `patience`, as when
// nobody reads the pipe: then it is dropped and false returned, so the caller (the
// thread that handles signals) never hangs on the log.
bool try_write(std::string_view text,
               std::chrono::milliseconds patience = std::chrono::seconds{1}) noexcept;

// A log sink, "text" (LogSink) or "json" (JsonSink), writing each batch it is given with
// write() when flushed. Meant to sit behind an AsyncSink, which calls it on one thread.
std::shared_ptr<socketchat::EventSink> make_sink(const std::string& format);

}  // namespace stderr_log

}  // namespace socketchatd
