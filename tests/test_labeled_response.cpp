// LabeledResponses (IRCv3 labeled-response), byte for byte: what a labeled line's answer
// becomes, with its lines held on the strand and echoes coming from elsewhere.
#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "protocol/irc/irc_labeled_response.hpp"

using socketchat::Payload;
using socketchat::detail::LabeledResponses;

namespace {

Payload bytes(std::string_view text) {
  return Payload::copy_of(text);
}

std::string text(const Payload& payload) {
  return std::string(payload.view());
}

// A labeled line whose steps send `lines` (each a payload), answered at once.
std::string answer_of(LabeledResponses& labels, std::string_view label,
                      std::initializer_list<std::string_view> lines) {
  labels.begin(label, false);
  labels.capture_line();
  for (auto line : lines) CHECK_FALSE(labels.hold(bytes(line)));  // held, nothing out yet
  return text(labels.end_line());
}

}  // namespace

TEST_CASE("a labeled line's answer: one line, nothing, several, or a batch of its own") {
  LabeledResponses labels("irc.test");
  CHECK(answer_of(labels, "a", {":irc.test PONG irc.test :t\r\n"}) ==
        "@label=a :irc.test PONG irc.test :t\r\n");
  // Tags it has already: the label first.
  CHECK(answer_of(labels, "b", {"@time=x :n!~n@irc.test JOIN #r\r\n"}) ==
        "@label=b;time=x :n!~n@irc.test JOIN #r\r\n");
  CHECK(answer_of(labels, "c", {}) == "@label=c :irc.test ACK\r\n");
  // Two lines in one payload count as two.
  CHECK(answer_of(labels, "d", {":irc.test 311 a b\r\n:irc.test 318 a b\r\n"}) ==
        "@label=d :irc.test BATCH +lr1 labeled-response\r\n"
        "@batch=lr1 :irc.test 311 a b\r\n"
        "@batch=lr1 :irc.test 318 a b\r\n"
        ":irc.test BATCH -lr1\r\n");
  // A batch alone (CHATHISTORY's): the label on its start.
  CHECK(answer_of(labels, "e",
                  {":irc.test BATCH +7 chathistory #r\r\n@batch=7 :n PRIVMSG #r :x\r\n",
                   ":irc.test BATCH -7\r\n"}) ==
        "@label=e :irc.test BATCH +7 chathistory #r\r\n@batch=7 :n PRIVMSG #r :x\r\n"
        ":irc.test BATCH -7\r\n");
  // A batch and more: nested, only its start and end tagged into the outer one.
  CHECK(answer_of(labels, "f",
                  {":irc.test NOTICE a :first\r\n", ":irc.test BATCH +8 chathistory #r\r\n",
                   "@batch=8;msgid=1 :n PRIVMSG #r :x\r\n", ":irc.test BATCH -8\r\n"}) ==
        "@label=f :irc.test BATCH +lr2 labeled-response\r\n"
        "@batch=lr2 :irc.test NOTICE a :first\r\n"
        "@batch=lr2 :irc.test BATCH +8 chathistory #r\r\n"
        "@batch=8;msgid=1 :n PRIVMSG #r :x\r\n"
        "@batch=lr2 :irc.test BATCH -8\r\n"
        ":irc.test BATCH -lr2\r\n");
}

TEST_CASE("a labeled message in flight: its echo is the answer, or opens the batch") {
  LabeledResponses labels("irc.test");
  const std::string echo = "@msgid=m-1 :a!~a@irc.test PRIVMSG #r :hi\r\n";

  SUBCASE("the echo alone: labeled, and nothing more when it is done") {
    labels.begin("e1", false);
    labels.capture_line();
    labels.taken_later(true);
    CHECK_FALSE(labels.end_line());  // in flight: not complete
    // The echo, from the thread that stores (not capturing there).
    std::string echoed;
    std::thread([&] { echoed = text(labels.echo("e1", bytes(echo))); }).join();
    CHECK(echoed == "@label=e1;msgid=m-1 :a!~a@irc.test PRIVMSG #r :hi\r\n");
    labels.finishing();
    CHECK_FALSE(labels.finished());
  }
  SUBCASE("after a line held (301): the batch opens with it, and ends when done") {
    labels.begin("d1", false);
    labels.capture_line();
    CHECK_FALSE(labels.hold(bytes(":irc.test 301 a b :away\r\n")));
    labels.taken_later(true);
    CHECK_FALSE(labels.end_line());
    CHECK(text(labels.echo("d1", bytes(echo))) ==
          "@label=d1 :irc.test BATCH +lr1 labeled-response\r\n"
          "@batch=lr1 :irc.test 301 a b :away\r\n"
          "@batch=lr1;msgid=m-1 :a!~a@irc.test PRIVMSG #r :hi\r\n");
    labels.finishing();
    CHECK(text(labels.finished()) == ":irc.test BATCH -lr1\r\n");
  }
  SUBCASE("to several targets: a batch from the first echo") {
    labels.begin("t1", true);
    labels.capture_line();
    labels.taken_later(true);
    labels.taken_later(true);
    CHECK_FALSE(labels.end_line());
    CHECK(text(labels.echo("t1", bytes(echo))) ==
          "@label=t1 :irc.test BATCH +lr1 labeled-response\r\n"
          "@batch=lr1;msgid=m-1 :a!~a@irc.test PRIVMSG #r :hi\r\n");
    labels.finishing();
    CHECK_FALSE(labels.finished());  // one of two
    CHECK(text(labels.echo("t1", bytes(echo))) ==
          "@batch=lr1;msgid=m-1 :a!~a@irc.test PRIVMSG #r :hi\r\n");
    labels.finishing();
    CHECK(text(labels.finished()) == ":irc.test BATCH -lr1\r\n");
  }
  SUBCASE("refused once stored: its error, held while it is answered, is the answer") {
    labels.begin("s1", false);
    labels.capture_line();
    labels.taken_later(true);
    CHECK_FALSE(labels.end_line());
    labels.finishing();
    CHECK(labels.capturing());
    CHECK_FALSE(labels.hold(bytes(":irc.test FAIL PRIVMSG STORAGE :x\r\n")));
    CHECK(text(labels.finished()) == "@label=s1 :irc.test FAIL PRIVMSG STORAGE :x\r\n");
    CHECK_FALSE(labels.capturing());
  }
}

TEST_CASE("a long answer is not held back whole: past max_held_bytes its batch opens") {
  LabeledResponses labels("irc.test");
  labels.begin("big", false);
  labels.capture_line();
  const std::string line = ":irc.test 353 a = #r :" + std::string(400, 'n') + "\r\n";
  std::size_t held = 0;
  while (held + line.size() <= LabeledResponses::max_held_bytes) {
    CHECK_FALSE(labels.hold(bytes(line)));
    held += line.size();
  }
  const std::string opened = text(labels.hold(bytes(line)));  // one more: out it all goes
  CHECK(opened.starts_with("@label=big :irc.test BATCH +lr1 labeled-response\r\n@batch=lr1 :irc"));
  CHECK(opened.size() > LabeledResponses::max_held_bytes);
  CHECK(text(labels.hold(bytes(line))) == "@batch=lr1 " + line);  // the rest as it comes
  CHECK(text(labels.end_line()) == ":irc.test BATCH -lr1\r\n");
}

TEST_CASE("unlabeled commands in flight keep their place; other threads never capture") {
  LabeledResponses labels("irc.test");
  labels.taken_later(false);  // an unlabeled message, still being stored
  labels.begin("x", false);
  labels.capture_line();
  bool elsewhere = true;
  std::thread([&] { elsewhere = labels.capturing(); }).join();
  CHECK_FALSE(elsewhere);  // a DM spelled on another thread is not part of the answer
  labels.taken_later(true);
  CHECK_FALSE(labels.end_line());
  labels.finishing();  // the unlabeled one's answer: not held
  CHECK_FALSE(labels.capturing());
  CHECK_FALSE(labels.finished());
  labels.finishing();
  CHECK(text(labels.finished()) == "@label=x :irc.test ACK\r\n");
}
