#pragma once

#include <iosfwd>

#include "socketchat/event_sink.hpp"

namespace socketchat {

// The same events as LogSink, for machines: one JSON object a line, e.g.
//   {"time":"2026-11-28T10:00:00.123Z","event":"msg","connection":3,"user":"Naman","text":"hi"}
class JsonSink : public BasicSink {
 public:
  explicit JsonSink(std::ostream& out) : out_(out) {}

 protected:
  void handle(const Event& event) override;

 private:
  std::ostream& out_;
};

}  // namespace socketchat
