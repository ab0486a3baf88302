#include "cluster/cluster_link.hpp"

#include <random>

#include <fmt/format.h>
#include <asio/post.hpp>

#include "cluster/cluster_event.hpp"
#include "cluster/redis_address.hpp"
#include "hub/hub.hpp"
#include "socketchat/error.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

constexpr auto first_backoff = std::chrono::milliseconds(100);
constexpr auto last_backoff = std::chrono::milliseconds(5000);

// Backlog entries read per round trip while catching up.
constexpr std::size_t catch_up_page = 512;

// A LOGIN that took longer than this after its name was claimed gives the name back.
constexpr auto claim_patience = std::chrono::seconds(30);

std::string new_node_id() {
  std::random_device random;
  std::uint64_t id = (std::uint64_t{random()} << 32) | random();
  return fmt::format("{:016x}", id);
}

RedisAddress address_of(const RedisOptions& redis) {
  std::string why;
  auto address = parse_redis_url(redis.url, why);
  if (!address) throw config_error("cluster: " + why);
  address->password = redis.password;
  return *address;
}

}  // namespace

ClusterLink::ClusterLink(RedisOptions redis, std::chrono::milliseconds lease,
                         std::size_t max_publishing)
    : redis_(std::move(redis)),
      lease_(lease),
      node_(new_node_id()),
      claims_(claim_patience),
      max_publishing_(max_publishing) {
  address_of(redis_);  // a bad URL fails here, at construction
}

ClusterLink::~ClusterLink() {
  close();
}

template <class Task>
void ClusterLink::on_strand(Task task) {
  if (!strand_) return;
  asio::post(*strand_, [alive = std::weak_ptr<char>(alive_), task = std::move(task)]() mutable {
    if (!alive.expired()) task();
  });
}

void ClusterLink::start(asio::io_context& context, Ready ready) {
  strand_.emplace(asio::make_strand(context));
  sweep_timer_ = std::make_unique<Timer>(*strand_);
  retry_timer_ = std::make_unique<Timer>(*strand_);
  watchdog_ = std::make_unique<Timer>(*strand_);
  on_strand([this, ready = std::move(ready)]() mutable {
    connect(std::move(ready));
    sweep_claims();
    watch();
  });
}

void ClusterLink::connect(Ready ready) {
  // New connections, and a lease taken again: what the old ones still awaited is lost.
  close_connections();
  const RedisAddress address = address_of(redis_);
  commands_ = std::make_unique<RedisConnection>(*strand_, address, redis_.timeout);
  subscriber_ = std::make_unique<RedisConnection>(*strand_, address, redis_.timeout);
  presence_ = std::make_unique<ClusterPresence>(*commands_, node_, lease_);
  const std::uint64_t attempt = ++attempt_;
  auto both = std::make_shared<int>(0);
  auto ready_once = std::make_shared<Ready>(std::move(ready));
  auto one_connected = [this, both, ready_once](std::string error) {
    if (!*ready_once) return;
    if (!error.empty()) return std::exchange(*ready_once, nullptr)("cannot reach Redis: " + error);
    if (++*both == 2) connected(std::exchange(*ready_once, nullptr));
  };
  auto lost = [this, attempt] {
    if (attempt == attempt_) lose("the connection to Redis was lost");
  };
  commands_->connect(one_connected, lost);
  subscriber_->connect(one_connected, lost);
}

void ClusterLink::connected(Ready ready) {
  presence_->start([this, ready = std::move(ready)](std::string error) mutable {
    if (!error.empty()) return ready("cannot take the node's lease: " + error);
    restore(std::move(ready));
  });
}

void ClusterLink::restore(Ready ready) {
  // This node's users and rooms as they are now, in Redis as they were before it was
  // lost (nothing at the first start): whatever changed meanwhile is made good.
  std::vector<std::string> words;
  hub_->shared([&] {
    const LocalDirectory& local = directory_->local();
    std::map<std::string_view, std::vector<std::pair<std::string_view, std::string_view>>> rooms;
    for (const auto& [room_key, room] : local.rooms()) {
      for (const auto& member : room.members) rooms[member.first].emplace_back(room_key, room.name);
    }
    static const std::vector<std::pair<std::string_view, std::string_view>> in_none;
    for (const Peer* peer : local.users()) {
      std::string user_key = ascii_lower(peer->name());
      auto found = rooms.find(user_key);
      const auto& in = found == rooms.end() ? in_none : found->second;
      words.push_back(std::move(user_key));
      words.emplace_back(peer->name());
      words.push_back(std::to_string(in.size()));
      for (const auto& [room_key, room] : in) {
        words.emplace_back(room_key);
        words.emplace_back(room);
      }
    }
  });
  presence_->restore(words, [this, ready = std::move(ready)](RedisReply taken) mutable {
    if (taken.kind != RedisReply::Kind::array) {
      return ready("cannot restore the node's users: " +
                   (taken.text.empty() ? std::string("Redis did not answer") : taken.text));
    }
    // A name is one user's: whoever another node gave it to meanwhile keeps it.
    for (const auto& name : taken.elements) {
      report("cluster-name-taken", "another node took " + name.text + " while Redis was away");
      hub_->exclusively([&] { hub_->expel_locked(name.text, Notice::name_taken); });
    }
    subscribed(std::move(ready));
  });
}

void ClusterLink::subscribed(Ready ready) {
  // Where the feed's backlog stands, the first time: what is stored after it is either
  // heard or caught up from the backlog (catch_up), whenever this node is away.
  if (feed_seen_) return subscribe(std::move(ready));
  commands_->command({"XREVRANGE", feed_backlog_key, "+", "-", "COUNT", "1"},
                     [this, ready = std::move(ready)](RedisReply last) mutable {
                       if (last.kind != RedisReply::Kind::array) {
                         return ready("cannot read the feed's backlog: " + last.text);
                       }
                       feed_seen_ = FeedId{};
                       if (!last.elements.empty() && !last.elements[0].elements.empty()) {
                         feed_seen_ =
                             FeedId::parse(last.elements[0].elements[0].text).value_or(FeedId{});
                       }
                       subscribe(std::move(ready));
                     });
}

void ClusterLink::subscribe(Ready ready) {
  // Subscribed first, then the world read: nothing that happens between is missed.
  auto count = std::make_shared<int>(0);
  auto ready_once = std::make_shared<Ready>(std::move(ready));
  auto hear = [this](std::string_view, std::string_view payload) { heard(payload); };
  auto done = [this, count, ready_once](std::string error) {
    if (!*ready_once) return;
    if (!error.empty()) return std::exchange(*ready_once, nullptr)("cannot subscribe: " + error);
    if (++*count < 2) return;
    presence_->snapshot(
        [this, ready_once](RedisReply world) { load(std::exchange(*ready_once, nullptr), world); });
  };
  subscriber_->subscribe("sc:feed", hear, done);
  subscriber_->subscribe("sc:node:" + node_, hear, done);
}

void ClusterLink::lose(const std::string& why) {
  if (!up_) return;  // already trying again
  set_up(false);
  loaded_ = false;
  early_.clear();
  report("cluster-lost", why + "; trying again");
  close_connections();  // what waits for Redis is answered now: lost
  backoff_ = first_backoff;
  retry();
}

void ClusterLink::retry() {
  retry_timer_->expires_after(backoff_);
  retry_timer_->async_wait([this, alive = std::weak_ptr<char>(alive_)](std::error_code ec) {
    if (ec || alive.expired() || stopping_) return;
    connect([this](std::string error) {
      if (error.empty()) return report("cluster-restored", "back in the cluster");
      backoff_ = std::min(backoff_ * 2, last_backoff);
      close_connections();
      retry();
    });
  });
}

void ClusterLink::watch() {
  // A Redis that stops answering (stopped, or the network) is reported after `timeout`;
  // what waits for it meanwhile is answered by its own bound (the history store's
  // timeout, a JOIN's), and the connections end only when Redis or the network ends them.
  watchdog_->expires_after(redis_.timeout / 2);
  watchdog_->async_wait([this, alive = std::weak_ptr<char>(alive_)](std::error_code ec) {
    if (ec || alive.expired() || stopping_) return;
    const auto now = std::chrono::steady_clock::now();
    if (up_ && ping_sent_ && now - *ping_sent_ > redis_.timeout) {
      // Said once; the connections stay: a Redis that resumes goes on where it stopped,
      // and its subscription with it, so that nothing published meanwhile is missed.
      if (!stall_reported_) {
        stall_reported_ = true;
        report("cluster-stalled",
               "Redis has not answered for " + std::to_string(redis_.timeout.count()) + " ms");
      }
    } else if (up_ && !ping_sent_ && commands_) {
      ping_sent_ = now;
      const std::uint64_t attempt = attempt_;
      commands_->command({"PING"}, [this, attempt](RedisReply) {
        if (attempt != attempt_) return;
        ping_sent_.reset();
        if (std::exchange(stall_reported_, false))
          report("cluster-restored", "Redis answers again");
      });
    }
    watch();
  });
}

void ClusterLink::load(Ready ready, const RedisReply& world) {
  if (world.kind != RedisReply::Kind::array || world.elements.size() != 4) {
    return ready("cannot read the cluster's users: " +
                 (world.text.empty() ? std::string("Redis did not answer") : world.text));
  }
  hub_->exclusively([&] {
    // Who was here before (after Redis came back): those gone meanwhile are told of.
    std::vector<std::string> before = directory_->remote_names();
    directory_->forget_remote();
    const auto& users = world.elements[0].elements;
    for (std::size_t i = 0; i + 1 < users.size(); i += 2) {
      const std::string& held = users[i + 1].text;  // "<node> <name>"
      auto space = held.find(' ');
      if (space == std::string::npos || held.compare(0, space, node_) == 0) continue;
      directory_->apply_arrived(std::string_view(held).substr(0, space),
                                std::string_view(held).substr(space + 1));
    }
    for (const auto& room : world.elements[1].elements) {
      if (room.elements.size() != 3) continue;
      const auto& members = room.elements[2].elements;
      for (std::size_t i = 0; i + 1 < members.size(); i += 2) {
        const std::string_view node = directory_->node_of(members[i + 1].text);
        if (!node.empty()) {
          directory_->apply_joined(std::string(node), members[i + 1].text, room.elements[1].text);
        }
      }
    }
    auto texts = [](const RedisReply& list) {
      std::vector<std::string> entries;
      for (const auto& entry : list.elements) entries.push_back(entry.text);
      return entries;
    };
    hub_->replace_moderation_locked(texts(world.elements[2]), texts(world.elements[3]));
    for (const auto& name : before) {
      if (directory_->node_of(name).empty()) {
        local_->to_everyone({.notice = Notice::user_disconnected, .user = name}, nullptr);
      }
    }
  });
  catch_up(std::move(ready), true);
}

void ClusterLink::catch_up(Ready ready, bool first) {
  // The messages stored since the last one this node delivered, which it did not hear
  // while its subscription was broken: a page at a time, then what was heard meanwhile
  // (feed ids say which of those were caught up already). The first page starts at the
  // last one delivered, to see that the backlog still holds it.
  const std::string from = first ? feed_seen_->text() : "(" + feed_seen_->text();
  const std::size_t page = catch_up_page + (first ? 1 : 0);
  commands_->command(
      {"XRANGE", feed_backlog_key, from, "+", "COUNT", std::to_string(page)},
      [this, ready = std::move(ready), first, page](RedisReply entries) mutable {
        if (entries.kind != RedisReply::Kind::array) {
          return ready("cannot read the feed's backlog: " + entries.text);
        }
        auto entry = entries.elements.begin();
        const bool seen_kept = entry != entries.elements.end() && !entry->elements.empty() &&
                               FeedId::parse(entry->elements[0].text) == feed_seen_;
        if (first && seen_kept) ++entry;
        if (first && !seen_kept && *feed_seen_ != FeedId{}) {
          report("cluster-backlog-short",
                 "the feed's backlog no longer holds the last message this node delivered: "
                 "messages stored while it was away may not have reached its users (they "
                 "are in HISTORY); raise cluster_backlog");
        }
        for (; entry != entries.elements.end(); ++entry) {
          if (entry->elements.size() != 2 || entry->elements[1].elements.size() != 2) continue;
          const std::string& id = entry->elements[0].text;
          auto feed_id = FeedId::parse(id);
          auto kept = KeptEvent::of(entry->elements[1].elements[1].text);
          if (feed_id && kept) apply_stored(*feed_id, *kept);
        }
        if (entries.elements.size() == page) return catch_up(std::move(ready), false);
        loaded_ = true;
        set_up(true);
        for (const auto& payload : std::exchange(early_, {})) apply(payload);
        ready("");
      });
}

void ClusterLink::sweep_claims() {
  for (const auto& name : claims_.expired()) {
    if (presence_) presence_->release(name);
  }
  // A join whose event never came back (Redis lost meanwhile) is answered all the same.
  const auto cutoff = ClusterClaims::Clock::now() - redis_.timeout * 2;
  hub_->exclusively([&] { directory_->fail_joins_before(cutoff); });
  if (stopping_) return;
  sweep_timer_->expires_after(std::chrono::seconds(5));
  sweep_timer_->async_wait([this, alive = std::weak_ptr<char>(alive_)](std::error_code ec) {
    if (!ec && !alive.expired()) sweep_claims();
  });
}

void ClusterLink::heard(std::string_view payload) {
  if (!loaded_) {
    early_.emplace_back(payload);
    return;
  }
  apply(payload);
}

void ClusterLink::apply(std::string_view payload) {
  if (auto stored = FeedEntry::of(payload)) return apply_stored(stored->id, stored->kept);
  apply_event(payload);
}

void ClusterLink::apply_stored(FeedId id, const KeptEvent& kept) {
  if (feed_seen_ && id <= *feed_seen_) return;  // delivered already (caught up)
  feed_seen_ = id;
  apply_event(kept.event, &kept);
}

void ClusterLink::apply_event(std::string_view payload, const KeptEvent* kept) {
  auto event = ClusterEvent::decode(payload);
  if (!event) return;
  // Ours: done here already, but for a join and a stored message (ClusterDelivery).
  const bool ours = event->node == node_;
  if (ours && event->kind == ClusterEvent::Kind::joined) {
    hub_->exclusively([&] { directory_->confirm_join(event->user, event->target); });
  }
  const bool chat = event->kind == ClusterEvent::Kind::message ||
                    event->kind == ClusterEvent::Kind::room_message ||
                    event->kind == ClusterEvent::Kind::direct;
  if (ours && !chat) return;
  using K = ClusterEvent::Kind;
  switch (event->kind) {
    case K::arrived:
      hub_->exclusively([&] { directory_->apply_arrived(event->node, event->user); });
      break;
    case K::departed:
      hub_->exclusively([&] {
        if (directory_->apply_departed(event->node, event->user)) {
          local_->to_everyone({.notice = Notice::user_disconnected, .user = event->user}, nullptr);
        }
      });
      break;
    case K::joined:
    case K::parted:
      hub_->exclusively([&] {
        const bool joined = event->kind == K::joined;
        const bool changed =
            joined ? directory_->apply_joined(event->node, event->user, event->target)
                   : directory_->apply_parted(event->node, event->user, event->target);
        if (!changed) return;
        local_->to_room(ascii_lower(event->target),
                        {.notice = joined ? Notice::joined : Notice::left,
                         .user = event->user,
                         .room = event->target},
                        nullptr);
      });
      break;
    case K::message:
      hub_->shared([&] {
        // Not to its sender, if it is ours (and still here), unless it asked for its own.
        const Peer* sender = ours ? directory_->find_peer(event->user) : nullptr;
        if (sender && sender->echoes()) sender = nullptr;
        local_->to_everyone({.notice = Notice::message,
                             .user = event->user,
                             .text = event->text,
                             .epoch = kept ? kept->epoch : std::string_view{},
                             .id = kept ? kept->n : 0,
                             .time_ms = kept ? kept->unix_ms : 0},
                            sender);
      });
      break;
    case K::room_message:
      hub_->shared([&] {
        const Peer* sender = ours ? directory_->find_peer(event->user) : nullptr;
        if (sender && sender->echoes()) sender = nullptr;
        local_->to_room(event->target,
                        {.notice = Notice::room_message,
                         .user = event->user,
                         .text = event->text,
                         .epoch = kept ? kept->epoch : std::string_view{},
                         .id = kept ? kept->n : 0,
                         .time_ms = kept ? kept->unix_ms : 0},
                        sender);
      });
      break;
    case K::moderated: {
      const std::string_view what = event->text.substr(0, event->text.find(' '));
      const std::string_view user_key =
          event->text.substr(std::min(event->text.size(), what.size() + 1));
      if (user_key.empty()) break;
      const bool ban = what == "ban" || what == "unban";
      const bool added = what == "ban" || what == "mute";
      hub_->exclusively([&] {
        hub_->moderated_elsewhere_locked(event->user, ban, event->target, user_key, added);
      });
      break;
    }
    case K::kicked: {
      // "<1|0> <name> <reason>"
      const std::string_view text = event->text;
      if (text.size() < 3 || text[1] != ' ') break;
      const std::string_view rest = text.substr(2);
      const auto space = rest.find(' ');
      const std::string_view name = rest.substr(0, space);
      const std::string_view reason =
          space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
      hub_->exclusively([&] {
        hub_->kicked_elsewhere_locked(event->user, text[0] == '1', name, event->target, reason);
      });
      break;
    }
    case K::direct:
      hub_->shared([&] {
        local_->to_user(event->target, {.notice = Notice::direct_message,
                                        .user = event->user,
                                        .text = event->text,
                                        .epoch = kept ? kept->epoch : std::string_view{},
                                        .id = kept ? kept->n : 0,
                                        .to = event->target,
                                        .time_ms = kept ? kept->unix_ms : 0});
      });
      break;
  }
}

void ClusterLink::stop(std::function<void()> done) {
  if (!strand_) return done();
  asio::post(*strand_, [this, done = std::move(done)] {
    stopping_ = true;
    if (!up_) {
      close();
      return done();
    }
    // The names given back, or, if Redis does not answer in time, left to the lease.
    auto once = std::make_shared<std::function<void()>>(std::move(done));
    auto finish = [this, once] {
      if (!*once) return;
      close();
      std::exchange(*once, nullptr)();
    };
    retry_timer_->expires_after(redis_.timeout);
    retry_timer_->async_wait([finish](std::error_code) { finish(); });
    presence_->leave([finish](std::string) { finish(); });
  });
}

void ClusterLink::close() {
  stopping_ = true;
  for (auto* timer : {sweep_timer_.get(), retry_timer_.get(), watchdog_.get()}) {
    if (timer) timer->cancel();
  }
  close_connections();
}

void ClusterLink::close_connections() {
  set_up(false);
  presence_.reset();
  if (subscriber_) subscriber_->close();
  if (commands_) commands_->close();
}

void ClusterLink::report(std::string_view detail, const std::string& text) {
  if (reporter_) reporter_(detail, text);
}

void ClusterLink::claim(std::uint64_t connection, std::string name, Claimed claimed) {
  on_strand([this, connection, name = std::move(name), claimed = std::move(claimed)] {
    if (!presence_ || !up_) return claimed(ClusterPresence::Claim::failed);
    presence_->claim(name, [this, connection, name, claimed](ClusterPresence::Claim result) {
      if (result == ClusterPresence::Claim::claimed) {
        if (auto unused = claims_.reserve(connection, ascii_lower(name), name)) {
          if (presence_) presence_->release(*unused);
        }
      }
      claimed(result);
    });
  });
}

void ClusterLink::set_up(bool up) {
  up_ = up;
  linked_.store(up, std::memory_order_relaxed);
}

bool ClusterLink::publishing() const noexcept {
  return linked_.load(std::memory_order_relaxed) &&
         publishing_.load(std::memory_order_relaxed) < max_publishing_;
}

void ClusterLink::publish(std::string channel, std::string payload) {
  // Counted from here to Redis's answer: what waits for a stalled Redis is bounded
  // (publishing() says no past max_publishing_, and the Hub refuses the message).
  publishing_.fetch_add(1, std::memory_order_relaxed);
  on_strand([this, channel = std::move(channel), payload = std::move(payload)] {
    // Accepted the moment the link was lost: the only message that can be lost, said so.
    auto answered = [this](RedisReply reply) {
      publishing_.fetch_sub(1, std::memory_order_relaxed);
      if (reply.kind == RedisReply::Kind::lost && !stopping_) {
        report("cluster-publish-lost", "a message accepted as Redis was lost was not published");
      }
    };
    if (!up_ || !commands_->command({"PUBLISH", channel, payload}, answered)) answered({});
  });
}

void ClusterLink::claimed(const std::string& name) {
  on_strand([this, name] {
    if (presence_) presence_->claim(name, [](ClusterPresence::Claim) {});
  });
}

void ClusterLink::released(const std::string& name) {
  on_strand([this, name] {
    if (presence_) presence_->release(name);
  });
}

void ClusterLink::joined(const std::string& user_key, const std::string& room_key,
                         const std::string& room) {
  on_strand([this, user_key, room_key, room] {
    auto answered = [this, user_key, room_key](ClusterPresence::JoinAnswer answer,
                                               std::string spelled) {
      using A = ClusterPresence::JoinAnswer;
      if (answer == A::joined) return;  // its event, coming back, finishes it
      hub_->exclusively([&] {
        if (answer == A::member_already) {
          directory_->confirm_join(user_key, spelled);
        } else {
          directory_->fail_join(user_key, room_key);
        }
      });
    };
    if (!presence_ || !up_) return answered(ClusterPresence::JoinAnswer::refused, {});
    presence_->join(user_key, room_key, room, answered);
  });
}

void ClusterLink::parted(const std::string& user_key, const std::string& room_key) {
  on_strand([this, user_key, room_key] {
    if (presence_) presence_->part(user_key, room_key);
  });
}

void ClusterLink::moderated(std::string_view by, bool ban, std::string_view scope,
                            std::string_view user_key, bool added) {
  on_strand([this, by = std::string(by), ban, scope = std::string(scope),
             user_key = std::string(user_key), added] {
    if (presence_ && up_) presence_->moderate(by, ban, scope, user_key, added);
  });
}

void ClusterLink::kick(std::string_view node, std::string_view by, bool by_operator,
                       std::string_view name, std::string_view room_key, std::string_view reason) {
  std::string text = by_operator ? "1 " : "0 ";
  text.append(name).append(" ").append(reason);
  ClusterEvent event{.kind = ClusterEvent::Kind::kicked,
                     .node = node_,
                     .user = by,
                     .target = room_key,
                     .text = text};
  publish("sc:node:" + std::string(node), event.encode());
}

}  // namespace socketchat::detail
