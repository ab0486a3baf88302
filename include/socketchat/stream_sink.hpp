#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "socketchat/event_sink.hpp"

namespace socketchat {

// Spells an event as the line(s) of a log, newline included, appended to `out`; an
// event it leaves out appends nothing. Called under its sink's lock, one at a time.
class EventFormatter {
 public:
  virtual ~EventFormatter() = default;
  virtual void format(const Event& event, std::string& out) = 0;
};

// Writes what a formatter makes of each event to a stream. LogSink and JsonSink are
// this sink with their own formatters; another format needs only an EventFormatter.
//
// Unbuffered (the default), each line is written and flushed as it happens. Buffered,
// lines wait for flush(): behind an AsyncSink, a batch of events is one write.
class StreamSink : public BasicSink {
 public:
  enum class Buffering { line, batch };
  StreamSink(std::ostream& out, std::unique_ptr<EventFormatter> formatter,
             Buffering buffering = Buffering::line);

 protected:
  void handle(const Event& event) override;
  void flush_buffer() override;

 private:
  std::ostream& out_;
  std::unique_ptr<EventFormatter> formatter_;
  Buffering buffering_;
  std::string pending_;
};

}  // namespace socketchat
