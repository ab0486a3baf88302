#include "server/core.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "accounts/account_authenticator.hpp"
#include "cluster/cluster_authenticator.hpp"
#include "cluster/cluster_delivery.hpp"
#include "cluster/cluster_directory.hpp"
#include "cluster/cluster_link.hpp"
#include "hub/local_delivery.hpp"
#include "hub/local_directory.hpp"
#include "server/option_table.hpp"
#include "socketchat/error.hpp"
#include "socketchat/memory_history_store.hpp"
#include "socketchat/redis_history_store.hpp"
#include "util/server_name.hpp"

namespace socketchat::detail {

Core::HubParts Core::hub_parts(ClusterLink* cluster, bool history) {
  if (!cluster) {
    auto local = std::make_unique<LocalDirectory>();
    auto delivery = std::make_unique<LocalDelivery>(*local);
    return {std::move(local), std::move(delivery)};
  }
  auto directory = std::make_unique<ClusterDirectory>(cluster->claims(), *cluster);
  auto delivery = std::make_unique<ClusterDelivery>(*directory, *cluster, history);
  cluster->attach(*directory, delivery->local());
  return {std::move(directory), std::move(delivery)};
}

namespace {

std::unique_ptr<ClusterLink> cluster_of(const ServerOptions& options) {
  if (options.cluster.empty()) return nullptr;
  return std::make_unique<ClusterLink>(
      RedisOptions{.url = options.cluster, .password = options.cluster_password},
      options.cluster_lease, options.cluster_backlog);
}

}  // namespace

Core::Core(ServerOptions options)
    : settings_(with_default_listener(std::move(options))),
      cluster_(cluster_of(settings_.options())) {
  const ServerOptions& given = settings_.options();
  if (cluster_) {
    cluster_->attach(hub_);
    cluster_->set_reporter([this](std::string_view detail, const std::string& text) {
      Event event{.kind = EventKind::error, .time = {}, .text = text, .detail = detail};
      bus_.publish(event);
    });
  }
  if (given.history) {
    history_store_ = given.history_store;
    if (cluster_) use_cluster_history(given);
    if (!history_store_) {
      history_store_ = std::make_shared<MemoryHistoryStore>(MemoryHistoryStore::default_per_scope,
                                                            MemoryHistoryStore::default_max_scopes,
                                                            given.history_memory_bytes);
    }
    if (history_store_->blocking()) {
      history_writer_ = std::make_unique<HistoryWriter>(*history_store_, bus_,
                                                        &hub_.batch_answers(), &answer_loop_);
    }
  }
  hub_.set_history(history_store_.get(), history_writer_.get());
  if (given.accounts != ServerOptions::Accounts::off) {
    hub_.set_authenticator(std::make_shared<AccountAuthenticator>(given));
  }
  hub_.set_limits(given);
  hub_.set_server_name(server_name_or_default(given.server_name));
  // A task may outlive the server on a host's io_context: it checks that Core still is.
  hub_.set_scheduler([this, alive = std::weak_ptr<void>(alive_)](std::function<void()> task) {
    asio::post(workers_.next(), [alive, task = std::move(task)] {
      if (auto still = alive.lock()) task();
    });
  });
}

Core::~Core() = default;

void Core::use_cluster_history(const ServerOptions& given) {
  // One history for the cluster, in its Redis, whose appends publish what they store.
  if (!history_store_) {
    // Appends wait up to 5 s: a Redis that pauses for less stores and delivers what was
    // sent meanwhile rather than refusing it (a refusal after a timeout is ambiguous: Redis
    // may still store it when it resumes; docs/CLUSTER.md).
    history_store_ =
        std::make_shared<RedisHistoryStore>(RedisOptions{.url = given.cluster,
                                                         .password = given.cluster_password,
                                                         .timeout = std::chrono::seconds(5)});
  }
  auto* redis = dynamic_cast<RedisHistoryStore*>(history_store_.get());
  if (!redis) {
    throw config_error(
        "cluster: history_store must be a RedisHistoryStore of the cluster's Redis, or none");
  }
  publish_history_as(*redis, cluster_->node(), given.cluster_backlog);
}

void Core::prune_history() {
  auto retention = options().history_retention;
  if (!history_store_ || retention.count() == 0) return;
  auto cutoff = std::chrono::system_clock::now() - retention;
  if (history_writer_) {
    history_writer_->prune(cutoff);
    return;
  }
  try {
    history_store_->prune(cutoff);
  } catch (const std::exception& e) {
    Event event{
        .kind = EventKind::error, .time = {}, .text = e.what(), .detail = "history-prune-failed"};
    bus_.publish(event);
  }
}

void Core::start_cluster(asio::io_context& context, std::function<void(std::string)> ready) {
  if (!cluster_) return ready("");
  // Whoever decides a LOGIN, the name is then claimed across the cluster.
  hub_.set_authenticator(std::make_shared<ClusterAuthenticator>(hub_.authenticator(), *cluster_));
  cluster_->start(context, std::move(ready));
}

void Core::stop_cluster(std::function<void()> done) {
  if (!cluster_) return done();
  cluster_->stop(std::move(done));
}

void Core::close_cluster() {
  if (cluster_) cluster_->close();
}

void Core::stop_history() {
  if (history_writer_) history_writer_->stop();
}

ServerOptions Core::with_default_listener(ServerOptions options) {
  options.validate();
  if (options.listeners.empty()) options.listen(default_listener);
  return options;
}

std::vector<std::string> Core::reconfigure(const ServerOptions& next) {
  next.validate();
  std::lock_guard lock(reconfigure_mutex_);
  const ServerOptions& running = options();
  // Every setting is one or the other (option_table.cpp): read at run time, it takes the
  // new value; used up at start, it keeps the running one and is named when it differs.
  ServerOptions applied = next;
  if (applied.listeners.empty()) applied.listen(default_listener);
  if (!applied.history_store) applied.history_store = running.history_store;  // none: the same
  std::vector<std::string> need_restart;
  for (const auto& option : option_table()) {
    if (option.change == Change::live || !option.differs(applied, running)) continue;
    need_restart.emplace_back(option.name);
    option.copy(running, applied);
  }
  settings_.publish(std::move(applied));
  hub_.set_limits(options());
  return need_restart;
}

}  // namespace socketchat::detail
