// The IRC protocol adapter: parsing, decoding into Hub commands, and the replies.
#include <doctest/doctest.h>

#include "detail/irc_message.hpp"

using namespace socketchat::detail;

TEST_CASE("an IRC line splits into its command and parameters, the trailing one whole") {
  IrcMessage m;
  REQUIRE(parse_irc_message("@time=x :nick!u@h PRIVMSG #general :hello  there", m));
  CHECK(m.command == "PRIVMSG");
  REQUIRE(m.count == 2);
  CHECK(m.param(0) == "#general");
  CHECK(m.param(1) == "hello  there");
  CHECK_FALSE(parse_irc_message("   ", m));
}
