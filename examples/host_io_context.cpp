// A host program that owns the event loop: socketchat runs on the host's io_context,
// next to the host's own timers and signal handling, on the host's threads.
//
//   example_host_io_context [tcp://0.0.0.0:4000]
//
// Every 200 ms an in-process user "clock" says "tick <n>" to everyone logged in.
// SIGINT or SIGTERM stops the server and the timer; io.run() then runs out of work.
#include <chrono>
#include <csignal>
#include <iostream>
#include <string>
#include <system_error>
#include <thread>

#include <asio.hpp>  // only hosts see Asio: the library's other headers never name it

#include <socketchat/local_user.hpp>
#include <socketchat/server.hpp>

namespace {

// Arms `timer` for the next tick. The chain ends when the timer is cancelled.
void tick(asio::steady_timer& timer, socketchat::LocalUser& clock, unsigned long n) {
  timer.expires_after(std::chrono::milliseconds{200});
  timer.async_wait([&timer, &clock, n](std::error_code error) {
    if (error) return;  // asio::error::operation_aborted: the host is shutting down
    clock.say("tick " + std::to_string(n));
    tick(timer, clock, n + 1);
  });
}

}  // namespace

int main(int argc, char** argv) {
  asio::io_context io;  // declared first, so it is destroyed last: after the Server

  socketchat::ServerOptions options;
  options.listen(argc > 1 ? argv[1] : "tcp://0.0.0.0:4000");
  socketchat::Server server{options, io};  // no threads of its own: it runs on `io`
  server.start();

  // The clock only talks; it ignores whatever it is sent.
  auto clock = server.connect("clock", [](socketchat::LocalUser&, const socketchat::Incoming&) {});

  // Two threads will run `io`: the host's own objects share a strand so that their
  // handlers (the tick and the signal) never run at the same time.
  auto host_strand = asio::make_strand(io);
  asio::steady_timer timer{host_strand};
  asio::signal_set signals{host_strand, SIGINT, SIGTERM};
  signals.async_wait([&](std::error_code error, int /*signal*/) {
    if (error) return;
    timer.cancel();  // no more ticks
    server.stop();   // hosted: begins the graceful stop; the server's work ends with it
  });
  tick(timer, *clock, 1);

  std::cout << "listening on port " << server.port() << std::endl;

  // io.run() returns when nothing is left to do: the timer cancelled, the signal taken
  // and the server stopped. One extra thread shows the server is fine with several.
  std::thread helper{[&io] { io.run(); }};
  io.run();
  helper.join();
  return 0;
}
