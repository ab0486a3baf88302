#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <asio/steady_timer.hpp>

#include "cluster/redis_connection.hpp"

namespace socketchat::detail {

// One node's place in the cluster as Redis keeps it (docs/CLUSTER.md, keys): the
// node's lease in `sc:nodes`, renewed every third of `lease`, its users' names and
// their rooms. Each renewal reaps the nodes whose lease has run out, freeing their
// names and memberships. Every change is one script, which also publishes it on
// `sc:feed` as a ClusterEvent (arrived, departed, joined, parted), so every node hears
// of every change in the order Redis made them.
//
// All calls on the connection's executor; every handler runs there.
class ClusterPresence {
 public:
  enum class Claim {
    claimed,
    taken,
    failed
  };  // failed: Redis did not answer, or our lease is gone
  using Claimed = std::function<void(Claim)>;

  // `node`: this node's id (16 hex digits). `connection`: connected, not subscribing;
  // it must outlive this object.
  ClusterPresence(RedisConnection& connection, std::string node, std::chrono::milliseconds lease);
  ~ClusterPresence();  // stops renewing; does not free the names (a dying node cannot)

  // Takes the lease now, then renews it; `done` once the first renewal is answered
  // (empty, or why not).
  void start(RedisConnection::Done done);
  // Stops renewing and gives up the lease and every name at once, announcing the
  // departures (a node that stops cleanly).
  void leave(RedisConnection::Done done);

  // `name` as spelled; refused while a live node holds it in any case.
  void claim(std::string_view name, Claimed claimed);
  // Frees `name` (and its rooms) if this node holds it; `done`, if given, once Redis has.
  void release(std::string_view name, RedisConnection::Done done = nullptr);
  // The user `user_key` (held by this node) joins or parts the room `room_key`;
  // `room` is the spelling for a room that is new.
  // joined: published (its event comes on sc:feed); member_already: nothing published;
  // refused: not this node's user, or Redis did not answer. With the room as Redis spells it.
  enum class JoinAnswer { joined, member_already, refused };
  using Joined = std::function<void(JoinAnswer answer, std::string room)>;
  void join(std::string_view user_key, std::string_view room_key, std::string_view room,
            Joined joined = nullptr);
  void part(std::string_view user_key, std::string_view room_key);

  // After Redis came back: this node's users in Redis become exactly those in `words`
  // (for each: key, name, n, then n pairs of room key and room name), in exactly those
  // rooms, each change published. The reply: the keys of users a live node holds now.
  void restore(const std::vector<std::string>& words, RedisConnection::ReplyHandler reply);

  // A ban or mute added or lifted by `by` (PROTOCOL.md, Operators): kept, and published.
  void moderate(std::string_view by, bool ban, std::string_view scope, std::string_view user_key,
                bool added);

  // The whole world as Redis has it now: users (pairs of key, "<node> <name>"), rooms
  // (each: key, name, then pairs of user key, user name), bans and mutes ("<scope>\n<user
  // key>" each), as one reply.
  void snapshot(RedisConnection::ReplyHandler reply);

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
