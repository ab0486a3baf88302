#pragma once

// A group of clients taken from connect to ready: logged in, on the feed when asked,
// and synced when asked (a PING answered, so everything the server said during the
// login has been read before the measurement starts).

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dialect.hpp"
#include "event_loop.hpp"

namespace bench {

struct SwarmOptions {
  std::string nick_prefix = "u";
  std::vector<Endpoint> servers;  // client i connects to servers[i % servers.size()]
  std::vector<in_addr> sources;   // bind to these in turn; empty: the kernel picks
  std::size_t per_source = 0;     // clients per source address (0: spread evenly)
  std::size_t concurrency = 200;  // connecting or logging in at once
  bool join = false;
  bool sync = false;
  int receive_buffer = 0;

  // Clients named <prefix><i> that join the feed, as a fanout's users and talkers are.
  static SwarmOptions on_feed(std::string prefix, std::vector<Endpoint> servers,
                              std::size_t concurrency) {
    return {.nick_prefix = std::move(prefix),
            .servers = std::move(servers),
            .sources = {},
            .per_source = 0,
            .concurrency = concurrency,
            .join = true,
            .sync = true,
            .receive_buffer = 0};
  }
};

class Swarm final : public ConnectionHandler {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    virtual void on_ready(std::size_t) {}
    virtual void on_line(std::size_t id, const Classified& line, Nanos now) = 0;
    virtual void on_drained(std::size_t) {}
    // A ready client's connection ended.
    virtual void on_lost(std::size_t id, std::string_view why) = 0;
  };

  Swarm(EventLoop& loop, const Dialect& dialect, SwarmOptions options, Listener& listener);

  // Begins connecting `count` clients, named nick_prefix + index. A client that fails
  // before it is ready throws Failure(exit_setup) out of the event loop.
  void start(std::size_t count);

  std::size_t size() const noexcept { return clients_.size(); }
  std::size_t ready_count() const noexcept { return ready_; }  // ever ready, lost or not
  std::size_t lost_count() const noexcept { return lost_; }
  bool all_ready() const noexcept { return ready_ == clients_.size(); }
  Connection& connection(std::size_t id) { return *clients_[id].connection; }
  const Connection& connection(std::size_t id) const { return *clients_[id].connection; }
  const std::string& nick(std::size_t id) const { return clients_[id].nick; }
  void send(std::size_t id, std::string_view bytes);
  void close_all();

 private:
  enum class Phase { waiting, connecting, logging_in, joining, syncing, ready, lost };
  struct Client {
    std::string nick;
    Connection* connection = nullptr;
    Phase phase = Phase::waiting;
    bool caps_answered = false;  // the server listed the capabilities asked for
  };

  void on_connected(Connection& connection) override;
  void on_line(Connection& connection, std::string_view line, Nanos now) override;
  void on_drained(Connection& connection) override;
  void on_closed(Connection& connection, std::string_view why) override;

  void launch_more();
  void advance_login(Client& client, std::size_t id, const Classified& line, std::string_view raw);
  void after_welcome(Client& client, std::size_t id);
  void become_ready(Client& client, std::size_t id);

  EventLoop& loop_;
  const Dialect& dialect_;
  SwarmOptions options_;
  Listener& listener_;
  std::vector<Client> clients_;
  std::size_t next_ = 0;         // the next client to connect
  std::size_t in_progress_ = 0;  // connecting or logging in
  std::size_t ready_ = 0;
  std::size_t lost_ = 0;
};

}  // namespace bench
