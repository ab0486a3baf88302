#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "socketchat/payload.hpp"
#include "socketchat/transport.hpp"
#include "transport/asio_types.hpp"
#include "transport/no_control_frames.hpp"
#include "util/buffer_release.hpp"

namespace socketchat::detail {

// An embedder's Stream as a Session's link (see TcpLink for what a link offers): one
// virtual call per read and per write batch, never per message.
class StreamLink : public NoControlFrames {
 public:
  StreamLink(std::unique_ptr<Stream> stream, std::string transport)
      : stream_(std::move(stream)), transport_(std::move(transport)) {}

  std::string_view transport_name() const noexcept { return transport_; }
  bool encrypted() const noexcept { return stream_->encrypted(); }
  Executor get_executor() { return stream_->get_executor(); }

  template <class Ready>
  void open(Ready&& ready) {
    stream_->open(std::forward<Ready>(ready));
  }

  template <class OnInput>
  void read(bool /*speculative*/, OnInput&& on_input) {
    stream_->read(
        [on_input = std::forward<OnInput>(on_input)](
            std::error_code ec, std::string_view bytes) mutable { on_input(ec, bytes, false); });
  }

  template <class Done>
  void write(std::span<const Payload> batch, Done&& done) {
    buffers_.clear();
    for (const auto& payload : batch) buffers_.emplace_back(payload.data(), payload.size());
    stream_->write(buffers_, [this, done = std::forward<Done>(done)](std::error_code ec) mutable {
      reset_buffer(buffers_);  // a big batch made it big: an idle connection keeps none
      done(ec);
    });
  }

  // The words of a refusal at the connection limits, as the protocol spells them.
  static std::string refusal(std::string_view words, std::string_view /*code*/) {
    return std::string(words);
  }

  void close() { stream_->close(); }

 private:
  std::unique_ptr<Stream> stream_;
  std::string transport_;  // the URL scheme it was registered for
  std::vector<asio::const_buffer> buffers_;
};

}  // namespace socketchat::detail
