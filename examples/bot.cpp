// An in-process bot: a user that lives inside the server's program.
//
//   example_bot [tcp://0.0.0.0:4000]
//
// Others see "echo" like any user (WHO lists it, DM reaches it). It answers
//   DM echo <text>   with   DM echo echo: <text>   to the sender, and
//   MSG !ping        with   MSG echo pong          to everyone.
#include <iostream>
#include <string>

#include <socketchat/local_user.hpp>
#include <socketchat/server.hpp>
#include <socketchat/signals.hpp>

// Called with every line the bot is sent, already split: kind ("MSG", "DM", "INFO",
// ...), from (the sender of a MSG or DM) and text. It runs on a server I/O thread, so
// it must return quickly: no blocking I/O, no waiting. The views in `in` are valid only
// during the call. Replying through `self` is fine from inside the handler.
void on_line(socketchat::LocalUser& self, const socketchat::Incoming& in) {
  if (in.kind == "DM") {
    self.direct(in.from, "echo: " + std::string(in.text));
  } else if (in.kind == "MSG" && in.text == "!ping") {
    self.say("pong");  // a public MSG: everyone else logged in receives "MSG echo pong"
  }
}

int main(int argc, char** argv) {
  socketchat::ShutdownSignals signals;  // before the server starts any thread

  socketchat::ServerOptions options;
  options.listen(argc > 1 ? argv[1] : "tcp://0.0.0.0:4000");
  socketchat::Server server{options};
  server.start();

  // After start(). The bot stays logged in while `bot` lives (or until the server stops).
  auto bot = server.connect("echo", on_line);
  std::cout << "listening on port " << server.port() << std::endl;

  signals.wait();
  server.stop();
  return 0;
}
