#include "socketchat/stream_sink.hpp"

#include <ostream>

namespace socketchat {

StreamSink::StreamSink(std::ostream& out, std::unique_ptr<EventFormatter> formatter,
                       Buffering buffering)
    : out_(out), formatter_(std::move(formatter)), buffering_(buffering) {}

void StreamSink::handle(const Event& event) {
  formatter_->format(event, pending_);
  if (buffering_ == Buffering::line) flush_buffer();
}

void StreamSink::flush_buffer() {
  if (pending_.empty()) return;
  out_.write(pending_.data(), static_cast<std::streamsize>(pending_.size()));
  out_.flush();
  pending_.clear();
  if (pending_.capacity() > (64 << 10)) pending_.shrink_to_fit();  // a burst leaves no peak
}

}  // namespace socketchat
