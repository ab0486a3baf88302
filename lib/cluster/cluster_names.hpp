#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "cluster/redis_connection.hpp"
#include "cluster/redis_script.hpp"

namespace socketchat::detail {

// One node's place in the cluster and the names its users hold (docs/CLUSTER.md): the
// node's lease in `sc:nodes`, renewed every third of `lease`, and each renewal reaps
// the nodes whose lease has run out, freeing their names and publishing each
// departure on `sc:feed` ("left\t<name>"). A name is claimed atomically: refused while a
// live node holds it (in any case), taken over from a dead one.
//
// All calls on the connection's executor; every handler runs there.
class ClusterNames {
 public:
  enum class Claim {
    claimed,
    taken,
    failed
  };  // failed: Redis did not answer, or our lease is gone
  using Claimed = std::function<void(Claim)>;

  // `node`: this node's id (16 hex digits). `connection`: connected, not subscribing;
  // it must outlive this object.
  ClusterNames(RedisConnection& connection, std::string node, std::chrono::milliseconds lease);
  ~ClusterNames();  // stops renewing; does not free the names (a dying node cannot)

  // Takes the lease now, then renews it; `done` once the first renewal is answered
  // (empty, or why not).
  void start(RedisConnection::Done done);
  // Stops renewing and gives up the lease and every name at once, announcing the
  // departures (a node that stops cleanly).
  void leave(RedisConnection::Done done);

  void claim(std::string_view name, Claimed claimed);
  // Frees `name` if this node holds it; `done`, if given, once Redis has.
  void release(std::string_view name, RedisConnection::Done done = nullptr);

  const std::string& node() const noexcept { return node_; }

 private:
  void renew();

  RedisConnection& connection_;
  std::string node_;
  std::chrono::milliseconds lease_;
  asio::basic_waitable_timer<std::chrono::steady_clock,
                             asio::wait_traits<std::chrono::steady_clock>,
                             RedisConnection::Executor>
      timer_;
  RedisConnection::Done started_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace socketchat::detail
