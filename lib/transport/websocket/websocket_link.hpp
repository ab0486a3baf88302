#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/error.hpp>

#include "http/http_request.hpp"
#include "protocol/protocols.hpp"
#include "socketchat/payload.hpp"
#include "transport/websocket/websocket_frame.hpp"
#include "util/buffer_release.hpp"
#include "util/thread_scratch.hpp"

namespace socketchat::detail {

struct SessionContext;

// What the HTTP side of a WebSocket listener answers besides the upgrade: the
// built-in browser client, /healthz and /metrics. Defined in http_routes.cpp.
std::string http_response_for(const SessionContext& sessions, const HttpRequest& request);
bool websocket_path_matches(std::string_view target, std::string_view path);
const std::vector<std::string>& websocket_allowed_origins(const SessionContext& sessions);
std::size_t websocket_max_frame_bytes(const SessionContext& sessions);
std::size_t websocket_max_message_bytes(const SessionContext& sessions);
// The first subprotocol the request offers (Sec-WebSocket-Protocol, in the client's
// order of preference) that one of the server's protocols answers to; null if none.
const Protocols::Subprotocol* websocket_subprotocol(const Protocols& protocols,
                                                    const HttpRequest& request);

// WebSocket (RFC 6455) over another link: TcpLink for ws://, TlsLink for wss://.
// Opening reads one HTTP request: the upgrade at `path` makes a WebSocket; any other
// request is answered (the browser client, /healthz, /metrics, 404) and the
// connection ends. Then, by default, the listener's protocol: each text message is
// one or more lines (a message without a final LF is one line), and each write is
// sent as text frames of whole lines. A client that asks for a protocol by its
// subprotocol name (Sec-WebSocket-Protocol: text.ircv3.net) speaks that one instead,
// one line per message each way (IRCv3's WebSocket specification), in text frames,
// or binary ones for a binary subprotocol.
template <class Inner>
class WebSocketLink final {
 public:
  static constexpr const char* transport =
      std::string_view(Inner::transport) == "tcp" ? "ws" : "wss";
  std::string_view transport_name() const noexcept { return transport; }
  static constexpr bool encrypted() noexcept { return Inner::encrypted(); }
  static constexpr std::size_t max_frame_payload = 64 * 1024;  // what one outgoing frame carries
  // Pongs held for admit_control: one read's worth (a pong is smaller than its ping).
  // Pings beyond that, were admit_control never called, get no pong.
  static constexpr std::size_t max_pending_pongs = Inner::read_chunk;

  // `protocols`: those a client may ask for by subprotocol.
  WebSocketLink(const SessionContext& sessions, const Protocols& protocols, Inner inner,
                std::string path)
      : inner_(std::move(inner)),
        head_(std::make_unique<Head>(sessions, protocols, std::move(path))),
        decoder_(websocket_max_frame_bytes(sessions), websocket_max_message_bytes(sessions)) {}

  // Before the upgrade this is HTTP: 503 over ws://; nothing over wss:// (see TlsLink).
  static std::string refusal(std::string_view words, std::string_view code) {
    if (Inner::refusal(words, code).empty()) return {};
    return http_error_response(503, code);
  }

  auto& socket() noexcept { return inner_.socket(); }
  // The protocol the client asked for by subprotocol, once open; null: the listener's.
  const Protocol* negotiated_protocol() const noexcept {
    return subprotocol_ ? subprotocol_->protocol : nullptr;
  }
  auto get_executor() { return inner_.get_executor(); }

  template <class Ready>
  void open(Ready&& ready) {
    inner_.open([this, ready = std::forward<Ready>(ready)](std::error_code ec) mutable {
      if (ec) return ready(ec);
      read_head(std::move(ready));
    });
  }

  template <class OnInput>
  void read(bool speculative, OnInput&& on_input) {
    if (leftover_) {  // frames that came with the upgrade request
      const std::unique_ptr<std::string> bytes = std::move(leftover_);
      return take(std::error_code{}, *bytes, false, on_input);
    }
    inner_.read(speculative, Unframe<std::decay_t<OnInput>>{std::forward<OnInput>(on_input)});
  }

  // The batch as text frames of whole payloads (lines), each frame up to
  // max_frame_payload unless one payload alone is larger; pongs go first, a close
  // frame last.
  template <class Done>
  void write(std::span<const Payload> batch, Done&& done) {
    if (close_sent()) batch = {};  // nothing may follow a close frame (RFC 6455, 5.5.1)
    gather_ = ThreadScratch<Gather>::borrow();
    auto& buffers = gather_->buffers;
    if (control_) {
      control_->sending = std::move(control_->admitted);
      control_->admitted.clear();
      if (!control_->sending.empty()) buffers.emplace_back(asio::buffer(control_->sending));
    }
    if (subprotocol_) {
      frame_each_line(batch);
    } else {
      frame_whole_lines(batch);
    }
    if (control_ && !control_->close.empty() && !control_->close_sent) {
      buffers.emplace_back(asio::buffer(control_->close));
      control_->close_sent = true;
      control_->writing_close = true;
    }
    inner_.write_buffers(buffers,
                         [this, done = std::forward<Done>(done)](std::error_code ec) mutable {
                           // A big batch made these big: an idle connection keeps none of it.
                           if (control_) {
                             control_->writing_close = false;
                             reset_buffer(control_->sending);
                             if (control_->idle()) control_.reset();
                           }
                           gather_.reset();  // back to the thread's spares
                           done(ec);
                         });
  }

  bool has_control() const noexcept {
    return control_ &&
           (!control_->admitted.empty() || (!control_->close.empty() && !control_->close_sent));
  }

  // The pongs for the pings received since the last call: each one that admit()
  // allows is queued (has_control() then says so), the others are dropped.
  template <class Admit>
  void admit_control(Admit&& admit) {
    if (!control_) return;
    std::string_view pending = control_->pending_pongs;
    while (!pending.empty()) {
      // Each is a whole pong frame of our own: a 2-byte header, at most 125 bytes.
      std::size_t size = 2 + (static_cast<unsigned char>(pending[1]) & 0x7F);
      if (admit()) control_->admitted.append(pending.substr(0, size));
      pending.remove_prefix(size);
    }
    reset_buffer(control_->pending_pongs);
    if (control_->idle()) control_.reset();  // every pong refused
  }

  // Control frames queued or being written: pongs admitted, our close frame.
  std::size_t control_bytes() const noexcept {
    if (!control_) return 0;
    std::size_t close =
        (!control_->close_sent || control_->writing_close) ? control_->close.size() : 0;
    return control_->admitted.size() + control_->sending.size() + close;
  }

  // Our side ends the conversation: a close frame goes out after the last lines; the
  // answer to the client's close (or to its protocol error) if there was one.
  void goodbye(bool server_going_away) {
    Control& control = this->control();
    if (!control.close.empty()) return;
    if (!control.answer.empty()) {
      control.close = std::move(control.answer);
    } else {
      control.close = server_going_away
                          ? close_frame(close_code::going_away, "server shutting down")
                          : close_frame(close_code::normal);
    }
  }

  void close() { inner_.close(); }

 private:
  // Text frames of whole payloads, each frame up to max_frame_payload unless one
  // payload alone is larger.
  void frame_whole_lines(std::span<const Payload> batch) {
    auto& [headers, buffers] = *gather_;
    headers.reserve(batch.size());  // buffers point into headers: no reallocation below
    for (std::size_t first = 0; first < batch.size();) {
      std::size_t last = first, size = 0;
      while (last < batch.size() &&
             (last == first || size + batch[last].size() <= max_frame_payload)) {
        size += batch[last++].size();
      }
      headers.push_back(frame_header(Opcode::text, size));
      buffers.emplace_back(headers.back().bytes.data(), headers.back().size);
      for (; first < last; ++first) buffers.emplace_back(batch[first].data(), batch[first].size());
    }
  }

  // One message per line, without its line end (a subprotocol's framing).
  void frame_each_line(std::span<const Payload> batch) {
    std::size_t lines = 0;
    for (const auto& payload : batch) lines += count_lines(payload.view());
    auto& [headers, buffers] = *gather_;
    headers.reserve(lines);  // buffers point into headers: no reallocation below
    const Opcode opcode = subprotocol_->binary ? Opcode::binary : Opcode::text;
    for (const auto& payload : batch) {
      std::string_view rest = payload.view();
      while (!rest.empty()) {
        std::size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        headers.push_back(frame_header(opcode, line.size()));
        buffers.emplace_back(headers.back().bytes.data(), headers.back().size);
        buffers.emplace_back(line.data(), line.size());
      }
    }
  }

  static std::size_t count_lines(std::string_view bytes) noexcept {
    std::size_t lines = 0;
    for (char c : bytes) lines += c == '\n';
    return lines + (!bytes.empty() && bytes.back() != '\n');
  }

  // ---- the HTTP request that opens the connection ----
  template <class Ready>
  void read_head(Ready ready) {
    inner_.read(false, [this, ready = std::move(ready)](std::error_code ec, std::string_view bytes,
                                                        bool) mutable {
      if (ec) return ready(ec);
      std::size_t consumed = 0;
      switch (head_->http.feed(bytes, consumed)) {
        case HttpRequestParser::Status::incomplete:
          return read_head(std::move(ready));
        case HttpRequestParser::Status::bad_request:
          return answer(http_error_response(400, "malformed request"), std::move(ready));
        case HttpRequestParser::Status::too_large:
          return answer(http_error_response(431, "request header fields too large"),
                        std::move(ready));
        case HttpRequestParser::Status::complete:
          break;
      }
      if (consumed < bytes.size())
        leftover_ = std::make_unique<std::string>(bytes.substr(consumed));
      const HttpRequest& request = head_->http.request();
      if (!websocket_path_matches(request.target, head_->path)) {
        return answer(http_response_for(head_->sessions, request), std::move(ready));
      }
      subprotocol_ = websocket_subprotocol(head_->protocols, request);
      UpgradeResult upgrade = validate_upgrade(
          request, websocket_allowed_origins(head_->sessions),
          subprotocol_ ? std::string_view(subprotocol_->name) : std::string_view{});
      if (!upgrade.accepted()) return answer(std::move(upgrade.response), std::move(ready));
      if (subprotocol_ && subprotocol_->binary) decoder_.accept_binary();
      head_->response = std::move(upgrade.response);
      inner_.write_buffers(head_->response_buffer(),
                           [this, ready = std::move(ready)](std::error_code write_ec) mutable {
                             forget_head();
                             ready(write_ec);  // no error: the WebSocket is open
                           });
    });
  }

  // An open WebSocket keeps neither the request nor the response.
  void forget_head() { head_.reset(); }

  // Sends a complete HTTP response, then ends the connection (eof: not an error).
  template <class Ready>
  void answer(std::string response, Ready ready) {
    head_->response = std::move(response);
    inner_.write_buffers(
        head_->response_buffer(),
        [ready = std::move(ready)](std::error_code) mutable { ready(asio::error::eof); });
  }

  // ---- WebSocket input ----
  // The text of one read's messages, gathered by on_text: a string per thread, not per
  // connection, as a read hands its text on before it returns.
  static std::string& read_text() {
    thread_local std::string text;
    return text;
  }

  // The inner link's read callback: the frames' payloads, as lines, to the session's.
  // The session's callback leads back to this link (its link()), so that the read
  // pending on an idle connection holds no pointer of this layer's own.
  template <class OnInput>
  struct Unframe {
    OnInput on_input;
    void operator()(std::error_code ec, std::string_view bytes, bool more) {
      on_input.link().take(ec, bytes, more, on_input);
    }
  };

  template <class OnInput>
  void take(std::error_code ec, std::string_view bytes, bool more, OnInput& on_input) {
    read_text().clear();
    if (!bytes.empty()) {
      Framing framing(*this);
      decoder_.feed(bytes, framing);
    }
    if (!ec && decoder_.finished()) ec = asio::error::eof;  // closed, or broke the protocol
    // Out of the thread's string while the session takes it: a read it starts at once
    // (the frames that came with the upgrade) gathers there anew.
    std::string lines = std::move(read_text());
    on_input(ec, std::string_view(lines), more);
    reset_buffer(lines);  // the session has taken what it needs: a big message is not kept
    read_text() = std::move(lines);
  }

  // What the decoder calls, through a Framing made for each feed(): not a base, so that
  // a connection carries no pointer for it.
  class Framing final : public WebSocketHandler {
   public:
    explicit Framing(WebSocketLink& link) noexcept : link_(link) {}
    bool on_text(std::string_view message) override { return link_.on_text(message); }
    bool on_ping(std::string_view payload) override { return link_.on_ping(payload); }
    bool on_pong(std::string_view) override { return true; }
    void on_close(std::uint16_t code, std::string_view reason) override {
      link_.on_close(code, reason);
    }
    void on_error(std::uint16_t code, std::string_view reason) override {
      link_.on_error(code, reason);
    }

   private:
    WebSocketLink& link_;
  };
  bool on_text(std::string_view message) {
    std::string& lines = read_text();
    lines.append(message);
    if (message.empty() || message.back() != '\n') lines.push_back('\n');
    return true;
  }
  bool on_ping(std::string_view payload) {
    // Held until the session admits it (admit_control), so that a client that pings
    // and never reads cannot make the pongs pile up.
    payload = payload.substr(0, 125);  // as the decoder ensures: admit_control relies on it
    std::string& pongs = control().pending_pongs;
    if (pongs.size() < max_pending_pongs) {
      append_frame_header(pongs, Opcode::pong, payload.size());
      pongs.append(payload);
    }
    return true;
  }
  // The answer waits for goodbye(): the replies to what the client sent before its
  // close still go out first.
  void on_close(std::uint16_t code, std::string_view) {
    std::string& answer = control().answer;
    if (answer.empty())
      answer = close_frame(code == close_code::no_status ? close_code::normal : code);
  }
  void on_error(std::uint16_t code, std::string_view reason) {
    std::string& answer = control().answer;
    if (answer.empty()) answer = close_frame(code, reason);
  }

  Inner inner_;
  const Protocols::Subprotocol* subprotocol_ = nullptr;  // asked for at the upgrade
  // The HTTP request that opens the connection, the response to it and what answering
  // it needs: dropped once the WebSocket is open, so that an idle connection does not
  // carry them.
  struct Head {
    Head(const SessionContext& server, const Protocols& known, std::string websocket_path)
        : sessions(server), protocols(known), path(std::move(websocket_path)) {}
    const SessionContext& sessions;
    const Protocols& protocols;  // those a client may ask for by subprotocol
    std::string path;            // where the upgrade is
    HttpRequestParser http;
    std::string response;  // an HTTP response being written
    asio::const_buffer written;
    std::span<const asio::const_buffer> response_buffer() {
      written = asio::buffer(response);
      return {&written, 1};
    }
  };
  std::unique_ptr<Head> head_;
  WebSocketDecoder decoder_;
  std::unique_ptr<std::string> leftover_;  // bytes that followed the HTTP head, if any
  // The control frames we send: made at the first ping or close, and dropped once
  // nothing is left of them, so that an idle connection carries none of these.
  struct Control {
    std::string pending_pongs;   // pongs for pings not yet admitted (admit_control)
    std::string admitted;        // pongs admitted, waiting for the next write
    std::string sending;         // pongs being written
    std::string answer;          // our answer to the client's close, until goodbye()
    std::string close;           // our close frame, once there is one
    bool close_sent = false;     // it went into a write (close stays: this box too)
    bool writing_close = false;  // and that write is in flight
    bool idle() const noexcept {
      return pending_pongs.empty() && admitted.empty() && sending.empty() && answer.empty() &&
             close.empty();
    }
  };
  Control& control() {
    if (!control_) control_ = std::make_unique<Control>();
    return *control_;
  }
  std::unique_ptr<Control> control_;
  bool close_sent() const noexcept { return control_ && control_->close_sent; }
  // A write's frame headers and the gather list that points into them and into the
  // payloads: lent by the thread for the write (ThreadScratch), null between writes.
  struct Gather {
    std::vector<FrameHeader> headers;
    std::vector<asio::const_buffer> buffers;
    void clear() noexcept {
      reset_buffer(headers);
      reset_buffer(buffers);
    }
  };
  typename ThreadScratch<Gather>::Lease gather_;
};

}  // namespace socketchat::detail
