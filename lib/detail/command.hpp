#pragma once

#include <string_view>

namespace socketchat::detail {

// What a client asks of the Hub, whatever protocol it speaks. Views point into the
// decoder's buffers and are valid for the duration of one Hub::handle() call.
enum class Verb { login, msg, dm, who, ping, quit, help, unknown };

struct Command {
  Verb verb = Verb::unknown;
  std::string_view name;  // LOGIN's username, DM's recipient (empty when missing)
  std::string_view text;  // MSG and DM text, PING token (trimmed, controls removed)
};

}  // namespace socketchat::detail
