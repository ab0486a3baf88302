#pragma once

// A real redis-server (Debian's) for the cluster's tests: started with the bundled
// configuration (packaging/redis.conf: an append-only file synced on every write) on a
// Unix socket and a loopback TCP port of its own, with its own data directory, and
// stopped by its PID.

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"

namespace socketchat::test {

class RedisServer {
 public:
  // Starts it and returns once it accepts connections. `extra`: more settings, as
  // redis-server takes them on its command line ("--requirepass", "secret").
  explicit RedisServer(std::vector<std::string> extra = {});
  ~RedisServer();  // stop()
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  const std::string& unix_path() const noexcept { return unix_path_; }
  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }

  void stop();     // SIGTERM, and waits for it to exit (it writes its data first)
  void kill();     // SIGKILL, and waits for it to exit
  void pause();    // SIGSTOP: connections stay open, nothing is answered
  void resume();   // SIGCONT
  void restart();  // after stop() or kill(): the same port, socket and data directory

 private:
  void start();
  void wait_exited();
  void read_output(int fd);

  TempDir directory_{"socketchat-redis"};
  std::string unix_path_;
  std::uint16_t port_ = 0;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool ready_ = false;
  bool output_ended_ = false;
  std::string output_;  // what it printed, for a failure's message
};

}  // namespace socketchat::test
