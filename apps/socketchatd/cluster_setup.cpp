#include "cluster_setup.hpp"

#include <memory>

#include <socketchat/redis_account_store.hpp>

namespace socketchatd {

bool open_cluster_stores(socketchat::ServerOptions& options) {
  if (options.cluster.empty()) return false;
  const socketchat::RedisOptions redis{.url = options.cluster,
                                       .password = options.cluster_password};
  // (History, unless it is off, is the cluster's too: the server makes that store.)
  if (options.accounts != socketchat::ServerOptions::Accounts::off) {
    options.account_store = std::make_shared<socketchat::RedisAccountStore>(redis);
  }
  return true;
}

}  // namespace socketchatd
