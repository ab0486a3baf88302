// A program outside socketchat: starts a server, logs a user in over a real socket,
// and stops. Exit code 0 means the library works as linked.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include <socketchat/socketchat.hpp>

int main() {
#ifdef EXPECTED_VERSION  // the version its package (CMake or pkg-config) says it is
  if (std::string(socketchat::version_string) != EXPECTED_VERSION) {
    std::printf("socketchat/version.hpp says %s, its package %s\n", socketchat::version_string,
                EXPECTED_VERSION);
    return 1;
  }
#endif
  socketchat::ServerOptions options;
  options.listen("tcp://127.0.0.1:0");
  socketchat::Server server{options};
  server.start();

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return 1;
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  std::string request = "LOGIN consumer\n";
  if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) return 1;
  char reply[16] = {};
  ssize_t n = ::read(fd, reply, sizeof reply - 1);
  ::close(fd);
  server.stop();

  bool ok = n == 3 && std::string(reply) == "OK\n";
  std::printf("socketchat %s: %s\n", socketchat::version_string, ok ? "OK" : "unexpected reply");
  return ok ? 0 : 1;
}
