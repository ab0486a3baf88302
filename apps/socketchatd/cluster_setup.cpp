#include "cluster_setup.hpp"

#include <memory>

#include <socketchat/redis_account_store.hpp>
#include <socketchat/redis_history_store.hpp>

namespace socketchatd {

bool open_cluster_stores(socketchat::ServerOptions& options) {
  if (options.cluster.empty()) return false;
  const socketchat::RedisOptions redis{.url = options.cluster,
                                       .password = options.cluster_password};
  if (options.history) {
    options.history_store = std::make_shared<socketchat::RedisHistoryStore>(redis);
  }
  if (options.accounts != socketchat::ServerOptions::Accounts::off) {
    options.account_store = std::make_shared<socketchat::RedisAccountStore>(redis);
  }
  return true;
}

}  // namespace socketchatd
