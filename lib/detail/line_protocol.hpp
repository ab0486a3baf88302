#pragma once

#include <array>
#include <cstddef>

#include "detail/protocol.hpp"

namespace socketchat::detail {

// The socketchat line protocol of PROTOCOL.md: one command per LF-terminated line.
class LineProtocol final : public Protocol {
 public:
  explicit LineProtocol(std::size_t max_line_bytes);

  unsigned id() const noexcept override { return 0; }
  std::unique_ptr<Decoder> make_decoder() const override;
  Payload encode(const ServerMessage& message) const override;

  // Turns one complete line (valid UTF-8, no LF) into a command. Views in the result
  // point into `line` or `scratch`.
  static Command parse(std::string_view line, std::string& scratch);

 private:
  std::size_t max_line_bytes_;
  // Replies that never change are made once and shared.
  Payload ok_, help_, inactivity_, shutting_down_, pong_;
  std::array<Payload, static_cast<std::size_t>(last_reply_error) + 1> errors_;
};

}  // namespace socketchat::detail
