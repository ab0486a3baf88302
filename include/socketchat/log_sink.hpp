#pragma once

#include <iosfwd>

#include "socketchat/stream_sink.hpp"

namespace socketchat {

// The human log, one line an event, in the original SocketChat format:
//   [CONNECT] new connection from 127.0.0.1:55342
//   [LOGIN] user=Naman
//   [MSG] from=Naman text="hi everyone!"
//   [DM] from=Yudi to=Naman text="hey this is private!"
//   [DISCONNECT] Naman disconnected
//   [ERROR] sendq-exceeded user=Naman remote=127.0.0.1:55342
// Text is quoted, with backslash and double quote escaped, so no user can forge a line.
// Buffering as for StreamSink.
class LogSink : public StreamSink {
 public:
  explicit LogSink(std::ostream& out, Buffering buffering = Buffering::line);
};

}  // namespace socketchat
