#pragma once

// A protocol of one's own: chat in JSON lines, one object a line each way.
//
//   in:  {"type":"login","name":"alice"}        out: {"type":"ok"}
//        {"type":"msg","text":"hi"}                  {"type":"msg","from":"bob","text":"hi"}
//        {"type":"dm","to":"bob","text":"psst"}      {"type":"dm","from":"bob","text":"psst"}
//        {"type":"join","room":"r"}                  {"type":"joined","room":"r","user":"bob"}
//        {"type":"say","room":"r","text":"x"}        {"type":"say","room":"r","from":"bob",...}
//        {"type":"who"}                              {"type":"users","names":["alice","bob"]}
//        {"type":"quit"}                             {"type":"error","code":"username-taken"}
//
// {"type":"help"} lists every request. A line that is no JSON is answered
// {"type":"error","code":"invalid-json"}, one of an unknown type "unknown-command",
// and the connection stays usable. Registered under a name, it is spoken by every
// listener whose URL asks for it:
//
//   server.add_protocol("json", std::make_shared<JsonProtocol>(options.max_line_bytes));
//   options.listen("tcp://0.0.0.0:4001?protocol=json");

#include <cstddef>
#include <memory>

#include <socketchat/protocol.hpp>

class JsonProtocol final : public socketchat::Protocol {
 public:
  // A line longer than `max_line_bytes` (without its LF) is refused as line-too-long
  // and skipped, never held whole.
  explicit JsonProtocol(std::size_t max_line_bytes);

  std::unique_ptr<socketchat::Decoder> make_decoder() const override;
  socketchat::Payload encode(const socketchat::ServerMessage& message) const override;
  // No keepalive_probe: like the line protocol, an idle client is simply closed.

  // The answer to a line that does not parse.
  const socketchat::Payload& invalid_json() const noexcept { return invalid_json_; }

 private:
  std::size_t max_line_bytes_;
  // The replies that never change, made once and shared by every connection.
  socketchat::Payload ok_;
  socketchat::Payload help_;
  socketchat::Payload invalid_json_;
};
