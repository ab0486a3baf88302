#pragma once

// IRC (RFC 2812) as far as the benchmark needs it: NICK/USER registration, one
// channel #bench as the feed, PRIVMSG to it, PING/PONG both ways.

#include "dialect.hpp"

namespace bench {

class IrcDialect final : public Dialect {
 public:
  std::string_view name() const override { return "irc"; }
  std::string login(std::string_view nick) const override;
  std::string join_feed() const override;
  void append_feed_message(std::string& out, std::string_view text) const override;
  std::string ping(std::string_view token) const override;
  std::string answer_server_ping(std::string_view token) const override;
  Classified classify(std::string_view line) const override;
};

}  // namespace bench
