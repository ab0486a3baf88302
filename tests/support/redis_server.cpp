#include "support/redis_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <doctest/doctest.h>
#include <asio/ip/tcp.hpp>

namespace socketchat::test {
namespace {

// A loopback port nobody listens on now (the kernel's choice), for redis-server to take.
std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

}  // namespace

RedisServer::RedisServer(std::vector<std::string> extra)
    : unix_path_((directory_.path / "redis.sock").string()),
      port_(free_port()),
      extra_(std::move(extra)) {
  start();
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);  // a paused one could not stop
    stop();
  }
}

void RedisServer::start() {
  // The bundled configuration (packaging/redis.conf), then what is this test's own.
  std::vector<std::string> words = {"redis-server",
                                    SOCKETCHAT_REDIS_CONF,
                                    "--bind",
                                    "127.0.0.1",
                                    "--port",
                                    std::to_string(port_),
                                    "--unixsocket",
                                    unix_path_,
                                    "--unixsocketperm",
                                    "700",
                                    "--dir",
                                    directory_.path.string(),
                                    "--logfile",
                                    "",
                                    "--daemonize",
                                    "no"};
  words.insert(words.end(), extra_.begin(), extra_.end());
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);

  // posix_spawn, not fork: this process has threads, and the child only runs the program.
  int pipe_fds[2];
  REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  const int spawned =
      ::posix_spawnp(&pid_, "redis-server", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    pid_ = -1;
    FAIL("redis-server could not be started (is it installed?): " << std::strerror(spawned));
  }
  {
    std::lock_guard lock(mutex_);
    ready_ = false;
    output_ended_ = false;
    output_.clear();
  }
  reader_ = std::thread([this, fd = pipe_fds[0]] { read_output(fd); });
  std::unique_lock lock(mutex_);
  const bool ready =
      changed_.wait_for(lock, std::chrono::seconds{10}, [&] { return ready_ || output_ended_; });
  REQUIRE_MESSAGE((ready && ready_), "redis-server did not start: " << output_);
}

void RedisServer::read_output(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    std::lock_guard lock(mutex_);
    output_.append(buffer, static_cast<std::size_t>(n));
    // Its last word at start: the Unix socket, after the TCP port.
    if (output_.find("ready to accept connections at " + unix_path_) != std::string::npos) {
      ready_ = true;
    }
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  output_ended_ = true;
  changed_.notify_all();
}

void RedisServer::wait_exited() {
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  wait_exited();
}

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  wait_exited();
}

void RedisServer::pause() {
  ::kill(pid_, SIGSTOP);
}

void RedisServer::resume() {
  ::kill(pid_, SIGCONT);
}

void RedisServer::restart() {
  REQUIRE(pid_ <= 0);
  start();
}

}  // namespace socketchat::test
