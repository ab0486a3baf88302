#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace socketchat {

// A message on its way to delivery, as a MessageFilter sees it.
struct MessageDraft {
  std::string_view from{};  // the sender's name
  std::string_view to{};    // a DM's recipient; empty for MSG and SAY alike
  std::string text{};       // the text others will read: the filter may rewrite it
};

enum class Verdict { deliver, reject };

// Called for every MSG, DM and SAY before anyone receives it, on the sender's I/O
// thread: keep it quick. A SAY's draft does not name its room: it looks like a MSG's.
// A rejected message reaches nobody and its sender gets `ERR message-rejected`. A
// rewritten text is cleaned like any text (control characters removed, trimmed); one
// left empty or not valid UTF-8 counts as rejected. A filter that throws rejects the
// message, and the error is reported to the sinks.
using MessageFilter = std::function<Verdict(MessageDraft& draft)>;

}  // namespace socketchat
