#pragma once

// The socketchat line protocol (PROTOCOL.md): LOGIN, PING, and a feed that is either
// the room "bench" (JOIN, SAY: like an IRC channel, the default) or the public feed
// every logged-in user receives (MSG).

#include "dialect.hpp"

namespace bench {

enum class LineFeed { room, global };

class LineDialect final : public Dialect {
 public:
  explicit LineDialect(LineFeed feed) : feed_(feed) {}
  std::string_view name() const override { return "line"; }
  std::string login(std::string_view nick) const override;
  std::string join_feed() const override;
  void append_feed_message(std::string& out, std::string_view text) const override;
  std::string ping(std::string_view token) const override;
  std::string answer_server_ping(std::string_view) const override { return {}; }
  Classified classify(std::string_view line) const override;

 private:
  LineFeed feed_;
};

}  // namespace bench
