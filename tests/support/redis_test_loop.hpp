#pragma once

// The cluster tests' event loop, run by the test's own thread, and the Redis calls they
// wait for.

#include <doctest/doctest.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <asio/io_context.hpp>
#include <asio/strand.hpp>

#include "cluster/redis_connection.hpp"

namespace socketchat::test {

struct RedisTestLoop {
  asio::io_context io;
  detail::RedisConnection::Executor strand = asio::make_strand(io);

  // Runs handlers until `done()`; false after `limit`.
  template <class Done>
  bool run_until(Done done, std::chrono::milliseconds limit = std::chrono::seconds{10}) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.run_one_for(std::chrono::milliseconds{50});  // returns as soon as a handler ran
      if (io.stopped()) io.restart();
    }
    return true;
  }

  // connect()'s outcome: "" when connected, else why not; `lost` set if it ends later.
  std::string connect(detail::RedisConnection& connection, bool* lost = nullptr) {
    std::optional<std::string> result;
    connection.connect([&](std::string error) { result = std::move(error); },
                       [lost] {
                         if (lost != nullptr) *lost = true;
                       });
    REQUIRE(run_until([&] { return result.has_value(); }));
    return *result;
  }

  // One command's reply.
  detail::RedisReply ask(detail::RedisConnection& connection,
                         std::initializer_list<std::string_view> words) {
    std::optional<detail::RedisReply> reply;
    REQUIRE(connection.command(words, [&](detail::RedisReply r) { reply = std::move(r); }));
    REQUIRE(run_until([&] { return reply.has_value(); }));
    return *reply;
  }
};

}  // namespace socketchat::test
