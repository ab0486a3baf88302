#pragma once

// The socketchat line protocol (PROTOCOL.md): LOGIN, PING, and a feed that is either
// the room "bench" (JOIN, SAY: like an IRC channel, the default) or the public feed
// every logged-in user receives (MSG). With the capability `ids` (CAPS ids, sent
// before LOGIN), every SAY and MSG delivered carries the message's id and stamp
// (`SAY bench <id> <unix-ms> <user> <text>`, `MSG <id> <unix-ms> <user> <text>`), and
// the HIST, GAP and END lines of a JOIN ... SINCE replay are told apart too.

#include "dialect.hpp"

namespace bench {

enum class LineFeed { room, global };
enum class LineCaps { none, ids };

class LineDialect final : public Dialect {
 public:
  explicit LineDialect(LineFeed feed, LineCaps caps = LineCaps::none) : feed_(feed), caps_(caps) {}
  std::string_view name() const override { return "line"; }
  std::string login(std::string_view nick) const override;
  std::string_view caps() const override { return caps_ == LineCaps::ids ? "ids" : ""; }
  std::string join_feed() const override;
  void append_feed_message(std::string& out, std::string_view text) const override;
  std::string ping(std::string_view token) const override;
  std::string answer_server_ping(std::string_view) const override { return {}; }
  Classified classify(std::string_view line) const override;

 private:
  // A SAY or MSG line whose words after the verb (and room) start at `at`.
  Classified feed_line(std::string_view line, std::size_t at) const;
  Classified history_line(std::string_view line) const;

  LineFeed feed_;
  LineCaps caps_;
};

}  // namespace bench
