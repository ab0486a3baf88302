// WebSocketLink over a scripted inner link (no socket): what it writes for the pings it
// reads, and what the session bounds those pongs with (admit_control, control_bytes).
// (That its buffers give their peak back: test_connection_memory.)
#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <asio/buffer.hpp>
#include <asio/error.hpp>

#include "server/core.hpp"
#include "socketchat/payload.hpp"
#include "transport/websocket/websocket_link.hpp"

using namespace socketchat;
using namespace socketchat::detail;

namespace {

constexpr std::array<unsigned char, 4> mask{0x37, 0xfa, 0x21, 0x3d};

// A masked client frame with FIN set.
std::string client_frame(Opcode opcode, std::string_view payload) {
  std::string frame(1, static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));
  std::uint64_t size = payload.size();
  if (size < 126) {
    frame += static_cast<char>(0x80 | size);
  } else {
    int length_bytes = size <= 0xFFFF ? 2 : 8;
    frame += static_cast<char>(0x80 | (length_bytes == 2 ? 126 : 127));
    for (int i = length_bytes - 1; i >= 0; --i)
      frame += static_cast<char>((size >> (8 * i)) & 0xFF);
  }
  frame.append(reinterpret_cast<const char*>(mask.data()), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  return frame;
}

std::string pong(std::string_view payload) {
  return encode_frame(Opcode::pong, payload);
}

constexpr std::string_view upgrade_request =
    "GET /ws HTTP/1.1\r\nHost: example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

// What the link under the WebSocket reads and writes: reads come from `inbox`, writes
// go to `written`; a write completes at once unless `hold_writes`, then when the test
// calls `held`.
struct Script {
  std::deque<std::string> inbox;
  std::string written;
  bool hold_writes = false;
  std::function<void(std::error_code)> held;
};

struct ScriptedLink {
  static constexpr const char* transport = "tcp";
  static constexpr std::size_t read_chunk = 64 * 1024;

  Script* script;

  template <class Ready>
  void open(Ready&& ready) {
    ready(std::error_code{});
  }
  template <class OnInput>
  void read(bool, OnInput&& on_input) {
    REQUIRE_FALSE(script->inbox.empty());
    std::string bytes = std::move(script->inbox.front());
    script->inbox.pop_front();
    on_input(std::error_code{}, std::string_view(bytes), false);
  }
  template <class Done>
  void write_buffers(std::span<const asio::const_buffer> buffers, Done&& done) {
    for (const auto& buffer : buffers)
      script->written.append(static_cast<const char*>(buffer.data()), buffer.size());
    if (script->hold_writes) {
      script->held = std::forward<Done>(done);
      return;
    }
    done(std::error_code{});
  }
  void close() {}
};

// A Core for the link's settings (frame and message limits, allowed origins); no
// listener is opened.
ServerOptions link_options() {
  ServerOptions options;
  options.listen("ws://127.0.0.1:0");
  return options;
}

struct OpenLink {
  Core core{link_options()};
  Script script;
  std::deque<std::string>& inbox = script.inbox;
  std::string& written = script.written;
  WebSocketLink<ScriptedLink> link{core.sessions(), core.protocols(), ScriptedLink{&script}, "/ws"};

  OpenLink() {
    inbox.emplace_back(upgrade_request);
    std::error_code opened = asio::error::fault;
    link.open([&](std::error_code ec) { opened = ec; });
    REQUIRE_FALSE(opened);
    REQUIRE(written.starts_with("HTTP/1.1 101 "));
    written.clear();
  }

  // One read of `bytes`; returns the lines it made.
  std::string read(std::string bytes) {
    inbox.push_back(std::move(bytes));
    std::string lines;
    link.read(false, Read{this, &lines});
    return lines;
  }

  // A read's callback, as a session's: the lines, and the link it was read from.
  struct Read {
    OpenLink* open;
    std::string* lines;
    void operator()(std::error_code ec, std::string_view text, bool) const {
      CHECK_FALSE(ec);
      lines->assign(text);
    }
    WebSocketLink<ScriptedLink>& link() const noexcept { return open->link; }
  };

  // Writes `batch` (and whatever control frames are queued).
  void write(std::span<const Payload> batch = {}) {
    link.write(batch, [](std::error_code ec) { CHECK_FALSE(ec); });
  }
};

}  // namespace

TEST_CASE("a ping is answered only once admitted, and only the admitted ones") {
  OpenLink t;
  std::string pings = client_frame(Opcode::ping, "a") + client_frame(Opcode::ping, "bb") +
                      client_frame(Opcode::ping, "ccc");
  CHECK(t.read(pings).empty());
  // Held, not queued, until the session says which it allows.
  CHECK_FALSE(t.link.has_control());
  CHECK(t.link.control_bytes() == 0);

  std::vector<bool> answers{true, false, true};
  std::size_t asked = 0;
  t.link.admit_control([&] { return answers.at(asked++); });
  CHECK(asked == 3);
  CHECK(t.link.has_control());
  CHECK(t.link.control_bytes() == pong("a").size() + pong("ccc").size());

  // Asked again with nothing new: no ping is admitted twice.
  t.link.admit_control([&] {
    FAIL("no ping is pending");
    return true;
  });

  t.script.hold_writes = true;
  t.write();
  CHECK(t.written == pong("a") + pong("ccc"));
  CHECK_FALSE(t.link.has_control());
  // Being written still counts, until the write is done.
  CHECK(t.link.control_bytes() == pong("a").size() + pong("ccc").size());
  t.script.held(std::error_code{});
  CHECK(t.link.control_bytes() == 0);
}

TEST_CASE("pings never admitted make at most one read's worth of pending pongs") {
  OpenLink t;
  const std::string ping = client_frame(Opcode::ping, std::string(125, 'p'));
  std::string flood;
  while (flood.size() + ping.size() <= ScriptedLink::read_chunk) flood += ping;
  for (int i = 0; i < 5; ++i) t.read(flood);  // the session never called admit_control
  std::size_t admitted = 0;
  t.link.admit_control([&] {
    ++admitted;
    return true;
  });
  // A pong is smaller than its ping: one read's bytes of pongs, not five reads' pings.
  const std::size_t pong_size = pong(std::string(125, 'p')).size();
  CHECK(admitted == ScriptedLink::read_chunk / pong_size + 1);
  CHECK(t.link.control_bytes() == admitted * pong_size);
  CHECK(t.link.control_bytes() <= ScriptedLink::read_chunk + pong_size);
}

TEST_CASE("control_bytes counts our close frame until it is written") {
  OpenLink t;
  t.link.goodbye(false);
  const std::size_t close_size = close_frame(close_code::normal).size();
  CHECK(t.link.has_control());
  CHECK(t.link.control_bytes() == close_size);
  t.script.hold_writes = true;
  t.write();
  CHECK(t.written == close_frame(close_code::normal));
  CHECK(t.link.control_bytes() == close_size);
  t.script.held(std::error_code{});
  CHECK(t.link.control_bytes() == 0);
  CHECK_FALSE(t.link.has_control());
}
