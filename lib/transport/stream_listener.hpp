#pragma once

#include <memory>
#include <string>

#include "socketchat/protocol.hpp"
#include "socketchat/transport.hpp"
#include "transport/listen_url.hpp"
#include "transport/listener.hpp"

namespace socketchat::detail {

struct SessionContext;

// A listener URL of an embedder's Transport: the transport listens and accepts; this
// applies the connection limits and runs each Stream in a Session like any other.
class StreamListener final : public Listener, private Acceptor {
 public:
  // Listens at once (Transport::listen); throws config_error when it cannot.
  StreamListener(const SessionContext& sessions, asio::io_context& context, Transport& transport,
                 const ListenUrl& url, const Protocol& protocol);

  void start() override {}
  void stop() override { listening_->stop(); }
  std::uint16_t port() const noexcept override { return listening_->port(); }

 private:
  asio::io_context& context() override { return context_; }
  ConnectionExecutor next_executor() override;
  void accept(std::unique_ptr<Stream> stream, std::string remote, std::string address) override;
  void accept_failed(std::error_code error) override;
  // Sends the protocol's refusal, then closes.
  void refuse(std::unique_ptr<Stream> stream, ReplyError why);

  const SessionContext& sessions_;
  asio::io_context& context_;
  std::string scheme_;
  const Protocol& protocol_;
  std::unique_ptr<Listening> listening_;
};

}  // namespace socketchat::detail
