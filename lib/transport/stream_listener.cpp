#include "transport/stream_listener.hpp"

#include <asio/dispatch.hpp>

#include "server/connection_table.hpp"
#include "server/workers.hpp"
#include "session/session_context.hpp"
#include "session/start_session.hpp"
#include "sinks/event_bus.hpp"
#include "transport/strand_pool.hpp"
#include "transport/stream_link.hpp"

namespace socketchat::detail {

StreamListener::StreamListener(const SessionContext& sessions, asio::io_context& context,
                               Transport& transport, const ListenUrl& url, const Protocol& protocol)
    : sessions_(sessions), context_(context), scheme_(url.scheme), protocol_(protocol) {
  listening_ = transport.listen(url.address, *this);
  if (!listening_) throw config_error("listener '" + url.text + "': the transport did not listen");
}

ConnectionExecutor StreamListener::next_executor() {
  return StrandPool::next_on(sessions_.workers.next()).strand();
}

void StreamListener::accept(std::unique_ptr<Stream> stream, std::string remote,
                            std::string address) {
  if (!stream) return;
  // Counted against the server-wide limit in any case, and per address when it is one
  // (ConnectionTable::admit); a stream without an address is counted under its transport's name.
  if (address.empty()) address = scheme_ + ":";
  if (remote.empty()) remote = address;
  if (auto refusal = sessions_.connections.admit(address)) {
    sessions_.connections.publish_refusal(address, *refusal);
    return refuse(std::move(stream), *refusal);
  }
  start_session(sessions_, protocol_, StreamLink(std::move(stream), scheme_), std::move(remote),
                address);
}

void StreamListener::refuse(std::unique_ptr<Stream> stream, ReplyError why) {
  struct Refused {
    std::unique_ptr<Stream> stream;
    Payload words;
    asio::const_buffer buffer;
  };
  auto refused = std::make_shared<Refused>();
  refused->words = protocol_.encode({.notice = Notice::error, .error = why});
  refused->buffer = asio::buffer(refused->words.data(), refused->words.size());
  refused->stream = std::move(stream);
  auto executor = refused->stream->get_executor();
  asio::dispatch(executor, [refused] {
    refused->stream->write({&refused->buffer, 1},
                           [refused](std::error_code) { refused->stream->close(); });
  });
}

void StreamListener::accept_failed(std::error_code error) {
  Event event{.kind = EventKind::error, .time = {}, .detail = "accept-failed", .reason = error};
  sessions_.bus.publish(event);
}

}  // namespace socketchat::detail
