#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "cluster/cluster_claims.hpp"
#include "cluster/cluster_delivery.hpp"
#include "cluster/cluster_directory.hpp"
#include "cluster/cluster_event.hpp"
#include "cluster/cluster_presence.hpp"
#include "cluster/redis_connection.hpp"
#include "socketchat/redis_options.hpp"

namespace socketchat::detail {

class Hub;

// A node's link to the cluster (docs/CLUSTER.md): two connections to Redis on one
// strand of the node's event loop, one for commands and publishes, one subscribed to
// `sc:feed` and this node's channel. It tells Redis of this node's users' changes
// (ClusterChanges) and messages (ClusterPublisher), and applies what the other nodes
// did to the mirror in ClusterDirectory, delivering it to this node's users.
class ClusterLink final : public ClusterChanges, public ClusterPublisher {
 public:
  using Ready = std::function<void(std::string error)>;  // empty: ready
  using Claimed = std::function<void(ClusterPresence::Claim)>;
  // Tells the operator (an error event): `detail` names what happened.
  using Reporter = std::function<void(std::string_view detail, const std::string& text)>;

  // `max_publishing`: with history off, messages that may wait for Redis to publish them
  // (past it, publishing() says no).
  ClusterLink(RedisOptions redis, std::chrono::milliseconds lease, std::size_t max_publishing);
  ~ClusterLink() override;

  ClusterClaims& claims() noexcept { return claims_; }
  // Before start(): where what other nodes do is applied.
  void attach(ClusterDirectory& directory, Delivery& local) {
    directory_ = &directory;
    local_ = &local;
  }
  void attach(Hub& hub) { hub_ = &hub; }
  void set_reporter(Reporter reporter) { reporter_ = std::move(reporter); }

  // Connects, takes the lease, subscribes and loads the world; `ready` once.
  void start(asio::io_context& context, Ready ready);
  // Gives up the lease and every name of this node (their departures announced), then
  // closes; `done` once, on the link's strand. Any thread.
  void stop(std::function<void()> done);
  // Closes at once, without a word to Redis (what a destructor may still do). After
  // Redis is lost the link tries again, with a growing pause (0.1 s to 5 s), and then
  // makes good what changed meanwhile (its users' names and rooms, the others').
  void close();

  // Claims `name` in Redis for the LOGIN of `connection` (ClusterAuthenticator). Any thread.
  void claim(std::uint64_t connection, std::string name, Claimed claimed);

  // ClusterPublisher
  const std::string& node() const noexcept override { return node_; }
  void publish(std::string channel, std::string payload) override;
  bool publishing() const noexcept override;

  // ClusterChanges
  void claimed(const std::string& name) override;
  void released(const std::string& name) override;
  void joined(const std::string& user_key, const std::string& room_key,
              const std::string& room) override;
  void parted(const std::string& user_key, const std::string& room_key) override;
  void moderated(std::string_view by, bool ban, std::string_view scope, std::string_view user_key,
                 bool added) override;
  void kick(std::string_view node, std::string_view by, bool by_operator, std::string_view name,
            std::string_view room_key, std::string_view reason) override;

 private:
  using Strand = RedisConnection::Executor;
  using Timer = asio::basic_waitable_timer<std::chrono::steady_clock,
                                           asio::wait_traits<std::chrono::steady_clock>, Strand>;
  template <class Task>
  void on_strand(Task task);
  // Joining, step by step (again after Redis was lost): connect, take the lease,
  // restore this node's users, subscribe, load the world.
  void connect(Ready ready);
  void connected(Ready ready);
  void restore(Ready ready);
  void subscribed(Ready ready);
  void subscribe(Ready ready);
  void load(Ready ready, const RedisReply& world);
  void catch_up(Ready ready, bool first);
  void lose(const std::string& why);
  void retry();
  void watch();
  void close_connections();
  void set_up(bool up);
  void heard(std::string_view payload);
  void apply(std::string_view payload);
  void apply_stored(FeedId id, const KeptEvent& kept);  // once per id, in order
  // An event; a stored message's with the id and stamp its store gave it.
  void apply_event(std::string_view payload, const KeptEvent* kept = nullptr);
  void sweep_claims();
  void report(std::string_view detail, const std::string& text);

  RedisOptions redis_;
  std::chrono::milliseconds lease_;
  std::string node_;
  ClusterClaims claims_;
  Hub* hub_ = nullptr;
  ClusterDirectory* directory_ = nullptr;
  Delivery* local_ = nullptr;
  Reporter reporter_;

  std::optional<Strand> strand_;
  std::unique_ptr<RedisConnection> commands_;
  std::unique_ptr<RedisConnection> subscriber_;
  std::unique_ptr<ClusterPresence> presence_;
  std::unique_ptr<Timer> sweep_timer_, retry_timer_, watchdog_;
  std::uint64_t attempt_ = 0;        // which connections the handlers belong to
  bool up_ = false;                  // joined: connected, restored, subscribed, loaded
  std::atomic<bool> linked_{false};  // up_, for other threads
  const std::size_t max_publishing_;
  std::atomic<std::size_t> publishing_{0};  // published, not yet answered
  bool loaded_ = false;
  bool stopping_ = false;
  std::chrono::milliseconds backoff_{100};
  std::optional<std::chrono::steady_clock::time_point> ping_sent_;
  bool stall_reported_ = false;
  std::vector<std::string> early_;  // heard before the world was loaded
  // The last stored message delivered (or, before any, where the backlog stood when this
  // node first subscribed): kept across reconnections, to catch up from.
  std::optional<FeedId> feed_seen_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace socketchat::detail
