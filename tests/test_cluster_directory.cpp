// A cluster node's Hub without Redis (docs/CLUSTER.md, Inside the node): the Hub over a
// ClusterDirectory and a ClusterDelivery, with what they would tell Redis recorded and
// what other nodes did applied by hand, as ClusterLink would. Lists merge this node's
// users and the others'; a name claimed for a connection is adopted, one another node
// holds is refused; a JOIN waits for Redis and is answered when its event comes back;
// a departure elsewhere takes its user out of its rooms.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cluster/cluster_delivery.hpp"
#include "cluster/cluster_directory.hpp"
#include "hub/hub.hpp"
#include "protocol/line/line_protocol.hpp"
#include "sinks/event_bus.hpp"

using namespace socketchat;
using namespace socketchat::detail;
using namespace std::chrono_literals;

namespace {

const LineProtocol protocol(4096);

class FakePeer final : public Peer, public std::enable_shared_from_this<FakePeer> {
 public:
  explicit FakePeer(std::uint64_t id) : Peer(id, "127.0.0.1:" + std::to_string(1000 + id)) {}
  void send(Payload payload) override { received += payload.view(); }
  const Protocol& protocol() const noexcept override { return ::protocol; }
  std::shared_ptr<Peer> shared_peer() override { return shared_from_this(); }
  void defer(std::function<void()> task) override { task(); }
  std::string take() { return std::exchange(received, {}); }
  std::string received;
};

// What the node would tell Redis, one line each.
class RecordedChanges final : public ClusterChanges, public ClusterPublisher {
 public:
  void claimed(const std::string& name) override { said.push_back("claimed " + name); }
  void released(const std::string& name) override { said.push_back("released " + name); }
  void joined(const std::string& user_key, const std::string& room_key,
              const std::string& room) override {
    said.push_back("joined " + user_key + " " + room_key + " " + room);
  }
  void parted(const std::string& user_key, const std::string& room_key) override {
    said.push_back("parted " + user_key + " " + room_key);
  }
  void moderated(std::string_view by, bool ban, std::string_view scope, std::string_view user_key,
                 bool added) override {
    said.push_back(std::string(added ? "+" : "-") + (ban ? "ban " : "mute ") + std::string(by) +
                   " " + std::string(scope) + " " + std::string(user_key));
  }
  void kick(std::string_view node, std::string_view by, bool, std::string_view name,
            std::string_view room_key, std::string_view) override {
    said.push_back("kick " + std::string(node) + " " + std::string(by) + " " + std::string(name) +
                   " " + std::string(room_key));
  }
  const std::string& node() const noexcept override { return id; }
  bool publishing() const noexcept override { return true; }
  void publish(std::string channel, std::string payload) override {
    said.push_back("publish " + channel + " " + payload);
  }
  std::vector<std::string> take() { return std::exchange(said, {}); }

  std::string id = "n0";
  std::vector<std::string> said;
};

struct Node {
  explicit Node(bool history = false) {
    auto owned = std::make_unique<ClusterDirectory>(claims, changes);
    directory = owned.get();
    auto delivery = std::make_unique<ClusterDelivery>(*owned, changes, history);
    hub = std::make_unique<Hub>(bus, std::move(owned), std::move(delivery));
  }
  void run(FakePeer& from, std::string_view line) {
    std::string scratch;
    hub->handle(from, LineProtocol::parse(line, scratch));
  }
  template <class Change>
  void elsewhere(Change change) {
    hub->exclusively([&] { change(*directory); });
  }

  EventBus bus;
  ClusterClaims claims{30s};
  RecordedChanges changes;
  ClusterDirectory* directory = nullptr;
  std::unique_ptr<Hub> hub;
  // Owned as a server owns its connections: an authenticator's answer keeps them alive.
  std::shared_ptr<FakePeer> owned_a = std::make_shared<FakePeer>(1);
  std::shared_ptr<FakePeer> owned_b = std::make_shared<FakePeer>(2);
  FakePeer& a = *owned_a;
  FakePeer& b = *owned_b;
};

}  // namespace

TEST_CASE("a name another node holds is refused; one claimed for the connection is adopted") {
  Node node;
  node.elsewhere([](ClusterDirectory& d) { d.apply_arrived("n2", "Bob"); });
  node.run(node.a, "LOGIN bob");
  CHECK(node.a.take() == "ERR username-taken\n");
  node.claims.reserve(node.a.id(), "bob", "bob");  // as ClusterAuthenticator does
  node.run(node.a, "LOGIN bob");
  CHECK(node.a.take() == "OK\n");
  CHECK(node.changes.take().empty());  // Redis has it already
  node.run(node.b, "WHO");
  CHECK(node.b.take() == "ERR not-logged-in\n");
  node.run(node.b, "LOGIN Ann");  // not claimed first (an in-process user): Redis is told
  CHECK(node.b.take() == "OK\n");
  CHECK(node.changes.take() == std::vector<std::string>{"claimed Ann"});
  node.run(node.b, "WHO");
  CHECK(node.b.take() == "USER Ann\nUSER bob\nEND\n");  // once, though it was another's
}

TEST_CASE("WHO, ROOMS and WHO <room> list this node's users and rooms with the others'") {
  Node node;
  node.run(node.a, "LOGIN alice");
  node.a.take();
  node.elsewhere([](ClusterDirectory& d) {
    d.apply_arrived("n2", "carol");
    d.apply_arrived("n3", "Zed");
    d.apply_joined("n2", "carol", "Lobby");
    d.apply_joined("n3", "Zed", "dev");
  });
  node.changes.take();
  node.run(node.a, "JOIN lobby");
  CHECK(node.a.take().empty());  // not before Redis has it
  CHECK(node.changes.take() == std::vector<std::string>{"joined alice lobby lobby"});
  node.elsewhere([](ClusterDirectory& d) { CHECK(d.confirm_join("alice", "Lobby")); });
  CHECK(node.a.take() == "OK\n");  // its event came back
  node.run(node.a, "WHO");
  CHECK(node.a.take() == "USER alice\nUSER carol\nUSER Zed\nEND\n");
  node.run(node.a, "ROOMS");
  CHECK(node.a.take() == "ROOM dev 1\nROOM Lobby 2\nEND\n");  // spelled as Redis has it
  node.run(node.a, "WHO lobby");
  CHECK(node.a.take() == "USER alice\nUSER carol\nEND\n");

  // carol's node let her go: out of the room, and told here.
  node.elsewhere([](ClusterDirectory& d) {
    CHECK_FALSE(d.apply_departed("n3", "carol"));  // not that node's
    CHECK(d.apply_departed("n2", "carol"));
  });
  node.run(node.a, "WHO lobby");
  CHECK(node.a.take() == "USER alice\nEND\n");
  node.run(node.a, "ROOMS");
  CHECK(node.a.take() == "ROOM dev 1\nROOM Lobby 1\nEND\n");
}

TEST_CASE("a JOIN Redis could not make is refused; one it made after all is undone") {
  Node node;
  node.run(node.a, "LOGIN alice");
  node.a.take();
  node.changes.take();
  node.run(node.a, "JOIN x");
  node.elsewhere([](ClusterDirectory& d) { d.fail_join("alice", "x"); });
  CHECK(node.a.take() == "ERR storage-failed\n");
  node.elsewhere([](ClusterDirectory& d) { CHECK_FALSE(d.confirm_join("alice", "x")); });
  CHECK(node.changes.take() ==
        std::vector<std::string>{"joined alice x x", "parted alice x"});  // Redis agrees again
  node.run(node.a, "SAY x hello");
  CHECK(node.a.take() == "ERR not-in-room\n");
}

TEST_CASE("a user who leaves gives its name back; a JOIN still waiting is answered") {
  Node node;
  node.run(node.a, "LOGIN alice");
  node.run(node.a, "JOIN y");
  node.a.take();
  node.changes.take();
  node.hub->leave(node.a);
  CHECK(node.changes.take() == std::vector<std::string>{"released alice"});
  CHECK(node.a.take() == "ERR storage-failed\n");  // dropped by a closing connection
}

TEST_CASE("without history a message is delivered here and published once; with it, neither") {
  Node alone;
  alone.run(alone.a, "LOGIN alice");
  alone.run(alone.b, "LOGIN bob");
  alone.a.take(), alone.b.take();
  alone.changes.take();
  alone.run(alone.a, "MSG hi all");
  CHECK(alone.b.take() == "MSG alice hi all\n");
  CHECK(alone.changes.take() == std::vector<std::string>{"publish sc:feed M\tn0\talice\thi all"});

  Node stored(true);  // Redis publishes it with the record; it comes back (ClusterLink)
  stored.run(stored.a, "LOGIN alice");
  stored.run(stored.b, "LOGIN bob");
  stored.a.take(), stored.b.take();
  stored.changes.take();
  stored.run(stored.a, "MSG hi all");
  CHECK(stored.b.take().empty());
  CHECK(stored.changes.take().empty());
}

// Logs every LOGIN in to the account of its name (an owner of the rooms it makes).
class AccountsForAll final : public Authenticator {
 public:
  void authenticate(const LoginRequest& request, Done done) override {
    done(LoginResult::accept_account(std::string(request.name), 0));
  }
};

TEST_CASE("a KICK, a BAN and a MUTE of another node's member are told to Redis") {
  Node node;
  node.hub->set_authenticator(std::make_shared<AccountsForAll>());
  node.run(node.a, "LOGIN alice");
  node.run(node.b, "LOGIN eve");
  node.elsewhere([](ClusterDirectory& d) {
    d.apply_arrived("n2", "Bob");
    d.apply_joined("n2", "Bob", "lobby");
  });
  node.run(node.a, "JOIN lobby");
  node.elsewhere([](ClusterDirectory& d) { d.confirm_join("alice", "lobby"); });
  node.a.take(), node.b.take();
  node.changes.take();

  node.run(node.b, "KICK lobby bob");  // eve owns nothing: refused, nothing said
  CHECK(node.b.take() == "ERR not-operator\n");
  node.run(node.a, "KICK lobby bob");  // the room's owner: asked of Bob's node
  CHECK(node.a.take() == "OK\n");
  node.run(node.a, "KICK lobby nobody");
  CHECK(node.a.take() == "ERR no-such-user\n");
  node.run(node.a, "BAN lobby bob");
  node.run(node.a, "MUTE lobby bob");
  node.run(node.a, "UNMUTE lobby bob");
  CHECK(node.a.take() == "OK\nOK\nOK\n");
  CHECK(node.changes.take() ==
        std::vector<std::string>{"kick n2 alice Bob lobby", "+ban alice lobby bob",
                                 "+mute alice lobby bob", "-mute alice lobby bob"});

  // Another node's ban of a user of this one: kept, and enforced here.
  node.run(node.b, "JOIN dev");
  node.elsewhere([](ClusterDirectory& d) { d.confirm_join("eve", "dev"); });
  node.b.take();
  node.hub->exclusively(
      [&] { node.hub->moderated_elsewhere_locked("op", true, "dev", "eve", true); });
  CHECK(node.b.take() == "KICK dev eve op banned\n");
  node.run(node.b, "JOIN dev");
  CHECK(node.b.take() == "ERR banned\n");
}
