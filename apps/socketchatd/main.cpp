#include <csignal>
#include <iostream>

#include <socketchat/socketchat.hpp>

int main() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  socketchat::ServerOptions options;
  options.listen("tcp://0.0.0.0:4000");
  socketchat::Server server{options};
  server.add_sink(std::make_shared<socketchat::LogSink>(std::cerr));
  server.start();
  int signal = 0;
  sigwait(&signals, &signal);
  server.stop();
}
