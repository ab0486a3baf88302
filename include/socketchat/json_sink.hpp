#pragma once

#include <iosfwd>

#include "socketchat/stream_sink.hpp"

namespace socketchat {

// The same events as LogSink, for machines: one JSON object a line, e.g.
//   {"time":"2026-11-28T10:00:00.123Z","event":"msg","connection":3,"user":"Naman","text":"hi"}
// Buffering as for StreamSink.
class JsonSink : public StreamSink {
 public:
  explicit JsonSink(std::ostream& out, Buffering buffering = Buffering::line);
};

}  // namespace socketchat
