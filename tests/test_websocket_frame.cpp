// RFC 6455 framing without sockets: the server-side decoder and the frame encoders.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "transport/websocket/websocket_frame.hpp"

using namespace socketchat;
using namespace socketchat::detail;
using namespace std::string_literals;

namespace {

constexpr std::uint8_t fin = 0x80;
constexpr std::array<unsigned char, 4> rfc_mask{0x37, 0xfa, 0x21, 0x3d};  // the RFC's examples

std::uint8_t op(Opcode opcode) {
  return static_cast<std::uint8_t>(opcode);
}

// A client frame: `first_byte` is FIN, RSV and opcode; the length is encoded minimally
// unless `length_bytes` forces 0, 2 or 8 extended bytes.
std::string client_frame(std::uint8_t first_byte, std::string_view payload, bool masked = true,
                         int length_bytes = -1, std::array<unsigned char, 4> mask = rfc_mask) {
  std::string frame(1, static_cast<char>(first_byte));
  std::uint64_t size = payload.size();
  if (length_bytes < 0) length_bytes = size < 126 ? 0 : size <= 0xFFFF ? 2 : 8;
  std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (length_bytes == 0) {
    frame += static_cast<char>(mask_bit | size);
  } else {
    frame += static_cast<char>(mask_bit | (length_bytes == 2 ? 126 : 127));
    for (int i = length_bytes - 1; i >= 0; --i)
      frame += static_cast<char>((size >> (8 * i)) & 0xFF);
  }
  if (masked) frame.append(reinterpret_cast<const char*>(mask.data()), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    frame += masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i];
  }
  return frame;
}

std::string text(std::string_view payload) {
  return client_frame(fin | op(Opcode::text), payload);
}

// Records events as "text:<message>", "ping:<payload>", "pong:<payload>",
// "close:<code>:<reason>" and "error:<code>".
struct Recorder final : WebSocketHandler {
  std::vector<std::string> events;
  bool stop_after_text = false;

  bool on_text(std::string_view message) override {
    events.push_back("text:" + std::string(message));
    return !stop_after_text;
  }
  bool on_ping(std::string_view payload) override {
    events.push_back("ping:" + std::string(payload));
    return true;
  }
  bool on_pong(std::string_view payload) override {
    events.push_back("pong:" + std::string(payload));
    return true;
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }
  void on_error(std::uint16_t code, std::string_view reason) override {
    CHECK_FALSE(reason.empty());
    CHECK(reason.size() <= 123);  // it must fit in a close frame
    events.push_back("error:" + std::to_string(code));
  }
};

constexpr std::size_t big = 1 << 20;

// Decodes all at once, then again one byte at a time, and checks both agree.
std::vector<std::string> decode(std::string_view bytes, std::size_t max_frame = big,
                                std::size_t max_message = big) {
  Recorder whole;
  WebSocketDecoder decoder(max_frame, max_message);
  CHECK(decoder.feed(bytes, whole) == bytes.size());

  Recorder bytewise;
  WebSocketDecoder split(max_frame, max_message);
  for (char c : bytes) {
    CHECK(split.feed(std::string_view(&c, 1), bytewise) == 1);
    CHECK(split.buffered() <= 14 + 125 + max_message);
  }
  CHECK(bytewise.events == whole.events);
  CHECK(split.finished() == decoder.finished());
  return whole.events;
}

using Events = std::vector<std::string>;

std::string error(std::uint16_t code) {
  return "error:" + std::to_string(code);
}

}  // namespace

TEST_CASE("RFC 6455 section 5.7: a single-frame masked text message") {
  CHECK(decode("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58") == Events{"text:Hello"});
  CHECK(text("Hello") == "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
}

TEST_CASE(
    "RFC 6455 section 5.7: the unmasked \"Hello\" is what a server sends, and a client must not") {
  CHECK(encode_frame(Opcode::text, "Hello") == "\x81\x05\x48\x65\x6c\x6c\x6f");
  CHECK(decode("\x81\x05\x48\x65\x6c\x6c\x6f") == Events{error(close_code::protocol_error)});
}

TEST_CASE("RFC 6455 section 5.7: a fragmented text message, ping and pong") {
  // "Hel" then "lo", as in the RFC but masked, as a client must.
  std::string fragmented = client_frame(op(Opcode::text), "Hel") + client_frame(fin, "lo");
  CHECK(fragmented.substr(0, 2) == "\x01\x83");
  CHECK(decode(fragmented) == Events{"text:Hello"});
  CHECK(encode_frame(Opcode::ping, "Hello") == "\x89\x05\x48\x65\x6c\x6c\x6f");
  CHECK(decode("\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58") == Events{"pong:Hello"});
  CHECK(decode(client_frame(fin | op(Opcode::ping), "Hello")) == Events{"ping:Hello"});
}

TEST_CASE("RFC 6455 section 5.7: 256 bytes take a 16-bit length, 64 KiB a 64-bit one") {
  CHECK(frame_header(Opcode::binary, 256).view() == "\x82\x7e\x01\x00"s);
  CHECK(frame_header(Opcode::binary, 65536).view() == "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"s);
  CHECK(frame_header(Opcode::text, 0).view() == "\x81\x00"s);
  CHECK(frame_header(Opcode::text, 125).view() == "\x81\x7d"s);
  CHECK(frame_header(Opcode::text, 126).view() == "\x81\x7e\x00\x7e"s);
  CHECK(frame_header(Opcode::text, 65535).view() == "\x81\x7e\xff\xff"s);
  std::string out = "x";
  append_frame_header(out, Opcode::pong, 3);
  CHECK(out == "x\x8a\x03");
}

TEST_CASE("16-bit and 64-bit lengths decode, whole and byte by byte") {
  for (std::size_t size : {0, 1, 125, 126, 127, 65535, 65536, 70000}) {
    CAPTURE(size);
    std::string message(size, 'a');
    for (std::size_t i = 0; i < size; i += 7) message[i] = static_cast<char>('a' + i % 26);
    Events events = decode(text(message));
    REQUIRE(events.size() == 1);
    CHECK(events[0] == "text:" + message);
  }
}

TEST_CASE("control frames may come between the fragments of a message") {
  std::string bytes =
      client_frame(op(Opcode::text), "one ") + client_frame(fin | op(Opcode::ping), "p1") +
      client_frame(op(Opcode::continuation), "two ") + client_frame(fin | op(Opcode::pong), "") +
      client_frame(fin | op(Opcode::ping), "p2") +
      client_frame(fin | op(Opcode::continuation), "three") + text("next");
  CHECK(decode(bytes) == Events{"ping:p1", "pong:", "ping:p2", "text:one two three", "text:next"});
  // A close between fragments ends it all.
  CHECK(decode(client_frame(op(Opcode::text), "a") +
               client_frame(fin | op(Opcode::close), "\x03\xe8")) == Events{"close:1000:"});
}

TEST_CASE("UTF-8 is validated across fragments: a character may be split between them") {
  std::string e_acute = "\xc3\xa9";
  CHECK(decode(client_frame(op(Opcode::text), "caf\xc3") + client_frame(fin, "\xa9")) ==
        Events{"text:caf" + e_acute});
  CHECK(decode(client_frame(op(Opcode::text), "caf\xc3") + client_frame(fin, "x")) ==
        Events{error(close_code::invalid_payload)});
  CHECK(decode(text("\xff")) == Events{error(close_code::invalid_payload)});
  CHECK(decode(text("\xed\xa0\x80")) == Events{error(close_code::invalid_payload)});  // a surrogate
  CHECK(decode(text("ok") + text("\xc0\xaf") + text("never")) ==
        Events{"text:ok", error(close_code::invalid_payload)});
}

TEST_CASE("an empty text frame is an empty message") {
  CHECK(decode(text("")) == Events{"text:"});
  CHECK(decode(client_frame(op(Opcode::text), "") + client_frame(fin, "")) == Events{"text:"});
}

TEST_CASE("protocol errors close with 1002") {
  const auto protocol_error = Events{error(close_code::protocol_error)};
  SUBCASE("unmasked client frames") {
    CHECK(decode(client_frame(fin | op(Opcode::text), "hi", false)) == protocol_error);
    CHECK(decode(client_frame(fin | op(Opcode::ping), "", false)) == protocol_error);
  }
  SUBCASE("RSV bits, with no extension negotiated") {
    for (std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
      CHECK(decode(client_frame(fin | rsv | op(Opcode::text), "hi")) == protocol_error);
    }
  }
  SUBCASE("reserved opcodes") {
    for (std::uint8_t opcode : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
      CAPTURE(opcode);
      CHECK(decode(client_frame(fin | opcode, "")) == protocol_error);
    }
  }
  SUBCASE("control frames over 125 bytes or fragmented") {
    std::string long_payload(126, 'p');
    CHECK(decode(client_frame(fin | op(Opcode::ping), long_payload)) == protocol_error);
    CHECK(decode(client_frame(fin | op(Opcode::pong), long_payload)) == protocol_error);
    CHECK(decode(client_frame(fin | op(Opcode::close), "\x03\xe8" + std::string(124, 'r'))) ==
          protocol_error);
    CHECK(decode(client_frame(op(Opcode::ping), "p")) == protocol_error);
    CHECK(decode(client_frame(op(Opcode::close), "")) == protocol_error);
    CHECK(decode(client_frame(fin | op(Opcode::ping), std::string(125, 'p'))) ==
          Events{"ping:" + std::string(125, 'p')});
  }
  SUBCASE("a continuation without a message, or a new message inside one") {
    CHECK(decode(client_frame(fin | op(Opcode::continuation), "x")) == protocol_error);
    CHECK(decode(client_frame(op(Opcode::continuation), "x")) == protocol_error);
    CHECK(decode(text("done") + client_frame(fin, "x")) ==
          Events{"text:done", error(close_code::protocol_error)});
    CHECK(decode(client_frame(op(Opcode::text), "a") + text("b")) == protocol_error);
    CHECK(decode(client_frame(op(Opcode::text), "a") + client_frame(op(Opcode::text), "b")) ==
          protocol_error);
  }
  SUBCASE("a 64-bit length with its top bit set") {
    std::string frame = "\x81\xff\x80\x00\x00\x00\x00\x00\x00\x05"s + "\x37\xfa\x21\x3d";
    CHECK(decode(frame) == protocol_error);
  }
  SUBCASE("a length not in its shortest form") {
    CHECK(decode(client_frame(fin | op(Opcode::text), "short", true, 2)) == protocol_error);
    CHECK(decode(client_frame(fin | op(Opcode::text), std::string(200, 'a'), true, 8)) ==
          protocol_error);
    CHECK(decode(client_frame(fin | op(Opcode::text), std::string(200, 'a'), true, 2)) ==
          Events{"text:" + std::string(200, 'a')});
  }
}

TEST_CASE("binary messages are refused with 1003") {
  CHECK(decode(client_frame(fin | op(Opcode::binary), "\x00\x01"s)) ==
        Events{error(close_code::unsupported_data)});
  CHECK(decode(client_frame(op(Opcode::binary), "x") + client_frame(fin, "y")) ==
        Events{error(close_code::unsupported_data)});
}

TEST_CASE("a frame over max_frame_bytes or a message over max_message_bytes closes with 1009") {
  const auto too_big = Events{error(close_code::message_too_big)};
  CHECK(decode(text(std::string(100, 'a')), 100, 1000) == Events{"text:" + std::string(100, 'a')});
  CHECK(decode(text(std::string(101, 'a')), 100, 1000) == too_big);
  CHECK(decode(client_frame(fin | op(Opcode::ping), std::string(11, 'p')), 10, 1000) == too_big);

  std::string fragments = client_frame(op(Opcode::text), std::string(60, 'a')) +
                          client_frame(op(Opcode::continuation), std::string(60, 'b'));
  CHECK(decode(fragments + client_frame(fin, std::string(30, 'c')), 100, 150) ==
        Events{"text:" + std::string(60, 'a') + std::string(60, 'b') + std::string(30, 'c')});
  CHECK(decode(fragments + client_frame(fin, std::string(31, 'c')), 100, 150) == too_big);
  CHECK(decode(text(std::string(151, 'a')), 1000, 150) == too_big);

  // Refused from the header alone: none of the payload is waited for or kept.
  Recorder recorder;
  WebSocketDecoder decoder(100, 1000);
  std::string header = client_frame(fin | op(Opcode::text), std::string(1000, 'a')).substr(0, 8);
  CHECK(decoder.feed(header, recorder) == header.size());
  CHECK(recorder.events == too_big);
  CHECK(decoder.buffered() == 0);
  std::string huge = "\x81\xff\x7f\xff\xff\xff\xff\xff\xff\xff"s + "\x37\xfa\x21\x3d";
  CHECK(decode(huge, 100, 1000) == too_big);
}

TEST_CASE("the decoder holds no more than a header and the message so far") {
  Recorder recorder;
  WebSocketDecoder decoder(1000, 1000);
  std::string frame = text(std::string(900, 'a'));
  std::size_t fed = 0;
  for (std::size_t chunk : {1, 5, 100, 200}) {
    decoder.feed(std::string_view(frame).substr(fed, chunk), recorder);
    fed += chunk;
    CHECK(decoder.buffered() <= fed);
    CHECK(decoder.buffered() <= 14 + 900);
  }
  decoder.feed(std::string_view(frame).substr(fed), recorder);
  CHECK(decoder.buffered() == 0);
  CHECK(recorder.events == Events{"text:" + std::string(900, 'a')});
}

TEST_CASE("close frames: code and reason are checked") {
  auto close = [](std::string_view payload) {
    return decode(client_frame(fin | op(Opcode::close), payload));
  };
  CHECK(close("") == Events{"close:1005:"});
  CHECK(close("\x03\xe8") == Events{"close:1000:"});
  CHECK(close("\x03\xe8"
              "bye") == Events{"close:1000:bye"});
  CHECK(close("\x03\xe9"
              "caf\xc3\xa9") == Events{"close:1001:caf\xc3\xa9"});
  for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                             3000, 3999, 4000, 4999}) {
    CAPTURE(code);
    std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    CHECK(close(payload) == Events{"close:" + std::to_string(code) + ":"});
  }
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    CAPTURE(code);
    std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    CHECK(close(payload) == Events{error(close_code::protocol_error)});
  }
  CHECK(close("\x03") == Events{error(close_code::protocol_error)});  // one byte
  CHECK(close("\x03\xe8\xff") == Events{error(close_code::invalid_payload)});
}

TEST_CASE("after a close or an error the decoder takes everything and reports nothing") {
  for (std::string ending : {client_frame(fin | op(Opcode::close), "\x03\xe8"),
                             client_frame(fin | op(Opcode::text), "x", false)}) {
    Recorder recorder;
    WebSocketDecoder decoder(big, big);
    std::string bytes = ending + text("after");
    CHECK(decoder.feed(bytes, recorder) == bytes.size());
    CHECK(decoder.finished());
    CHECK(recorder.events.size() == 1);
    CHECK(decoder.feed(text("later"), recorder) == text("later").size());
    CHECK(recorder.events.size() == 1);
  }
}

TEST_CASE("on_text returning false stops after that frame; the rest is fed again later") {
  Recorder recorder;
  recorder.stop_after_text = true;
  WebSocketDecoder decoder(big, big);
  std::string first = text("one");
  std::string bytes = first + client_frame(fin | op(Opcode::ping), "p") + text("two");
  std::size_t taken = decoder.feed(bytes, recorder);
  CHECK(taken == first.size());
  CHECK(recorder.events == Events{"text:one"});
  CHECK_FALSE(decoder.finished());
  std::string_view rest = std::string_view(bytes).substr(taken);
  taken = decoder.feed(rest, recorder);
  CHECK(taken == rest.size());
  CHECK(recorder.events == Events{"text:one", "ping:p", "text:two"});
}

TEST_CASE("any mask works, including one that changes between frames") {
  std::string bytes = client_frame(op(Opcode::text), "mask", true, -1, {0, 0, 0, 0}) +
                      client_frame(fin, "ed", true, -1, {0xff, 0x01, 0x80, 0x7f});
  CHECK(decode(bytes) == Events{"text:masked"});
}

TEST_CASE("encode_frame: FIN set, never masked; control payloads cut to 125 bytes") {
  std::string payload(300, 'x');
  std::string frame = encode_frame(Opcode::text, payload);
  CHECK(frame.substr(0, 4) == "\x81\x7e\x01\x2c"s);
  CHECK(frame.substr(4) == payload);
  std::string ping = encode_frame(Opcode::ping, payload);
  CHECK(ping.size() == 2 + 125);
  CHECK(ping.substr(0, 2) == "\x89\x7d");
  std::string large(70000, 'y');
  CHECK(encode_frame(Opcode::text, large).size() == 10 + large.size());
}

TEST_CASE("close_frame: the code in network order, the reason cut to fit on a character boundary") {
  CHECK(close_frame(close_code::normal) == "\x88\x02\x03\xe8");
  CHECK(close_frame(close_code::protocol_error, "bad") ==
        "\x88\x05\x03\xea"
        "bad");
  CHECK(close_frame(close_code::no_status) == "\x88\x00"s);

  std::string reason;
  for (int i = 0; i < 100; ++i) reason += "\xc3\xa9";  // 200 bytes of two-byte characters
  std::string frame = close_frame(close_code::going_away, reason);
  CHECK(frame.size() == 2 + 2 + 122);  // 123 would split a character
  // What we send, a client could send back: it decodes as a valid close.
  Events echoed = decode(client_frame(fin | op(Opcode::close), frame.substr(2)));
  CHECK(echoed == Events{"close:1001:" + reason.substr(0, 122)});

  std::string ascii(200, 'r');
  CHECK(close_frame(close_code::going_away, ascii).size() == 2 + 125);
}
