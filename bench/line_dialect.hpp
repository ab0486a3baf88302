#pragma once

// The socketchat line protocol (shared/PROTOCOL.md): LOGIN, MSG to everyone, PING.

#include "dialect.hpp"

namespace bench {

class LineDialect final : public Dialect {
 public:
  std::string_view name() const override { return "line"; }
  std::string login(std::string_view nick) const override;
  std::string join_feed() const override { return {}; }
  void append_feed_message(std::string& out, std::string_view text) const override;
  std::string ping(std::string_view token) const override;
  std::string answer_server_ping(std::string_view) const override { return {}; }
  Classified classify(std::string_view line) const override;
};

}  // namespace bench
