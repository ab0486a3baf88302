#pragma once

#include <iosfwd>
#include <string>

#include "socketchat/event_sink.hpp"

namespace socketchat {

// The same events as LogSink, for machines: one JSON object a line, e.g.
//   {"time":"2026-11-28T10:00:00.123Z","event":"msg","connection":3,"user":"Naman","text":"hi"}
// Buffering as for LogSink.
class JsonSink : public BasicSink {
 public:
  enum class Buffering { line, batch };
  explicit JsonSink(std::ostream& out, Buffering buffering = Buffering::line)
      : out_(out), buffering_(buffering) {}

 protected:
  void handle(const Event& event) override;
  void flush_buffer() override;

 private:
  std::ostream& out_;
  Buffering buffering_;
  std::string pending_;
};

}  // namespace socketchat
