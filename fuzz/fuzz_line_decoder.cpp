// Feeds arbitrary bytes to the line protocol's decoder (LineProtocol::make_decoder)
// under two line limits, whole, one byte at a time, in uneven pieces, and with a
// handler that pauses after each command. Every way must give the same commands and
// errors, and each command must keep PROTOCOL.md's promises: valid UTF-8, no LF, and
// text trimmed with its control characters removed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/line/line_protocol.hpp"
#include "util/text.hpp"

#include "fuzz_support.hpp"

using namespace socketchat;
using namespace socketchat::detail;
using fuzz::has_control;
using fuzz::require;

namespace {

bool has_blank(std::string_view text) {
  return text.find_first_of(" \t") != std::string_view::npos;
}

bool is_trimmed(std::string_view text) {
  return trim(text) == text;
}

// Records commands and refusals in one string; checks each command as it comes.
struct Recorder final : DecodeHandler {
  explicit Recorder(bool pause_after_commands) : pause(pause_after_commands) {}

  bool pause;
  std::string events;

  Handled on_command(const Command& command) override {
    for (std::string_view part : {command.name, command.text}) {
      require(is_valid_utf8(part), "command parts are valid UTF-8");
      require(part.find('\n') == std::string_view::npos, "command parts hold no LF");
      require(is_trimmed(part), "command parts are trimmed");
    }
    switch (command.verb) {
      case Verb::msg:
      case Verb::dm:
      case Verb::say:
      case Verb::ping:
        require(!has_control(command.text), "delivered text holds no control characters");
        break;
      default:
        break;
    }
    if (command.verb == Verb::dm || command.verb == Verb::say || command.verb == Verb::history) {
      require(!has_blank(command.name), "a DM, SAY or HISTORY name is one word");
    }
    events += 'C';
    events += std::to_string(static_cast<int>(command.verb));
    events += '|' + std::to_string(command.name.size()) + ':';
    events += command.name;
    events += '|' + std::to_string(command.text.size()) + ':';
    events += command.text;
    return pause ? Flow::stop : Flow::next;
  }
  Flow on_reply(Payload) override {
    require(false, "the line protocol answers everything through the Hub");
    return Flow::stop;
  }
  void on_answer(Payload) override { require(false, "the line protocol holds no answer"); }
  bool on_decode_error(ReplyError error) override {
    require(error == ReplyError::line_too_long || error == ReplyError::invalid_utf8,
            "the decoder refuses only long lines and invalid UTF-8");
    events += 'E';
    events += code_of(error);
    events += ';';
    return !pause;
  }
  void on_line() override {}  // activity only; its count may differ with how input is split
};

template <class NextPiece>
std::string decode(const LineProtocol& protocol, std::size_t max_line, std::string_view bytes,
                   bool pause, NextPiece next_piece) {
  auto decoder = std::make_unique<LineDecoder>(protocol, max_line);
  Recorder recorder(pause);
  while (!bytes.empty()) {
    std::string_view piece = bytes.substr(0, next_piece());
    std::size_t taken = decoder->feed(piece, recorder);
    require(taken <= piece.size(), "feed takes no more than it is given");
    require(taken > 0, "feed makes progress");
    require(pause || taken == piece.size(), "feed takes everything unless the handler pauses");
    require(decoder->buffered() <= max_line + 1, "at most one unfinished line is held");
    bytes.remove_prefix(taken);
  }
  return recorder.events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Made once: a protocol is shared by all connections, only decoders are per input.
  static const LineProtocol short_lines(16), default_lines(4096);
  for (const auto& [protocol, max_line] :
       {std::pair{&short_lines, std::size_t{16}}, std::pair{&default_lines, std::size_t{4096}}}) {
    std::string whole = decode(*protocol, max_line, bytes, false, [&] { return bytes.size(); });
    std::string bytewise = decode(*protocol, max_line, bytes, false, [] { return 1; });
    require(bytewise == whole, "byte-by-byte decoding matches whole decoding");
    std::size_t step = 0;
    std::string uneven =
        decode(*protocol, max_line, bytes, false, [&] { return 1 + (step++ * 7) % 13; });
    require(uneven == whole, "decoding in uneven pieces matches whole decoding");
    std::string paused = decode(*protocol, max_line, bytes, true, [&] { return bytes.size(); });
    require(paused == whole, "pausing after each command and resuming changes nothing");
  }
  return 0;
}
