#pragma once

// What differs between the chat protocols the load generator speaks: how a client
// logs in, joins the shared feed, broadcasts to it and pings the server, and what
// each line it receives means. The scenarios know nothing else about a protocol.

#include <memory>
#include <string>
#include <string_view>

namespace bench {

enum class LineKind {
  other,        // anything a scenario does not need
  welcome,      // logged in (socketchat OK, IRC 001)
  joined,       // the feed is joined (IRC 366 end of NAMES)
  refused,      // an error reply (socketchat ERR, IRC 4xx/5xx or ERROR)
  pong,         // arg: the token
  server_ping,  // the server checks we are alive; arg: its token
  feed_text,    // a message from the feed; arg: its text (id: its id, with CAPS ids)
  caps,         // the capabilities now on (socketchat CAPS); arg: their list
  history,      // a message replayed from history (socketchat HIST); arg: its text, id: its id
  history_gap,  // the history asked for is not whole (socketchat GAP); arg: "<scope> <reason>"
  list_end,     // the end of a list or a replay (socketchat END)
};

struct Classified {
  constexpr Classified() = default;
  constexpr Classified(LineKind kind_, std::string_view arg_, std::string_view id_ = {})
      : kind(kind_), arg(arg_), id(id_) {}

  LineKind kind = LineKind::other;
  std::string_view arg;
  std::string_view id;  // feed_text and history with CAPS ids: the message's id
};

class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual std::string_view name() const = 0;
  // What logs a client in; with capabilities asked for (caps()), asks for them first.
  virtual std::string login(std::string_view nick) const = 0;
  // The capabilities a client asks for before it logs in, as the server lists them
  // back (the arg of a `caps` line); empty: none, and no such line is expected.
  virtual std::string_view caps() const { return {}; }
  // Empty when logging in already puts a user on the feed.
  virtual std::string join_feed() const = 0;
  virtual void append_feed_message(std::string& out, std::string_view text) const = 0;
  virtual std::string ping(std::string_view token) const = 0;
  virtual std::string answer_server_ping(std::string_view token) const = 0;
  virtual Classified classify(std::string_view line) const = 0;
};

// "line" (socketchat) or "irc"; throws Failure on any other name. `line_feed` is the
// line dialect's feed: "room" or "global" (see line_dialect.hpp); `caps` the line
// dialect's capabilities: "" or "ids" (IRC has none: refused).
std::unique_ptr<Dialect> make_dialect(std::string_view name, std::string_view line_feed,
                                      std::string_view caps = {});

}  // namespace bench
