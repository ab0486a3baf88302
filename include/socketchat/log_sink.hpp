#pragma once

#include <iosfwd>
#include <string>

#include "socketchat/event_sink.hpp"

namespace socketchat {

// The human log, one line an event, in the original SocketChat format:
//   [CONNECT] new connection from 127.0.0.1:55342
//   [LOGIN] user=Naman
//   [MSG] from=Naman text="hi everyone!"
//   [DM] from=Yudi to=Naman text="hey this is private!"
//   [DISCONNECT] Naman disconnected
//   [ERROR] sendq-exceeded user=Naman remote=127.0.0.1:55342
// Text is quoted, with backslash and double quote escaped, so no user can forge a line.
//
// Unbuffered (the default), each line is written and flushed as it happens. Buffered,
// lines wait for flush(): behind an AsyncSink, a batch of events is one write.
class LogSink : public BasicSink {
 public:
  enum class Buffering { line, batch };
  explicit LogSink(std::ostream& out, Buffering buffering = Buffering::line)
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
