// A client is never disconnected for the replies to its own commands: while it has not
// read half of sendq_bytes, its next command waits (and so does its input), instead of
// its replies overflowing the queue. Only output it did not ask for (others' messages)
// can make a client that does not read a slow reader to be dropped.
#include <doctest/doctest.h>

#include <string>

#include <socketchat/server.hpp>

#include "support/line_client.hpp"

using namespace socketchat;
using namespace socketchat::test;

namespace {

ServerOptions small_queues() {
  ServerOptions options;
  options.listen("tcp://127.0.0.1:0");
  options.sendq_bytes = 64 * 1024;
  options.send_buffer_bytes = 4096;
  options.rate_per_second = 0;  // the commands come in one burst
  return options;
}

}  // namespace

TEST_CASE("a burst of commands whose replies exceed sendq_bytes: all answered, still connected") {
  Server server(small_queues());
  server.start();
  auto writer = logged_in(server.port(), "writer");
  const std::string text(1000, 'x');
  for (int i = 0; i < 10; ++i) writer.send("MSG " + text + "\n");
  writer.send("PING stored\n");
  writer.expect_line("PONG stored");

  // 100 x 10 records of ~1 KB: about 1 MB of replies, 16 x sendq_bytes, asked for at
  // once by a reader with a small window that reads nothing until it has asked.
  auto reader = logged_in(server.port(), "reader", {.receive_buffer = 4096});
  std::string burst;
  for (int i = 0; i < 100; ++i) burst += "HISTORY * 10\n";
  reader.send(burst);
  for (int i = 0; i < 100; ++i) {
    for (int record = 0; record < 10; ++record) {
      auto line = reader.read_line();
      REQUIRE_MESSAGE(line, "reply ", i, " record ", record, ": disconnected or silent");
      REQUIRE(line->ends_with(" writer " + text));
    }
    reader.expect_line("END");
  }
  reader.send("PING alive\n");
  reader.expect_line("PONG alive");
}

TEST_CASE("a client that reads nothing is still dropped when others' messages fill its queue") {
  Server server(small_queues());
  server.start();
  auto sleeper = logged_in(server.port(), "sleeper", {.receive_buffer = 4096});
  auto talker = logged_in(server.port(), "talker");
  const std::string text(1000, 'y');
  bool dropped = false;
  for (int i = 0; i < 1000 && !dropped; ++i) {
    talker.send("MSG " + text + "\n");
    if (i % 50 == 49) {
      talker.send("PING\n");
      auto line = talker.read_line();
      REQUIRE(line);
      dropped = *line == "INFO sleeper disconnected";
      if (!dropped) REQUIRE(*line == "PONG");
    }
  }
  CHECK(dropped);
}
