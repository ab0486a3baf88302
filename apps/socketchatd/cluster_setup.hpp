#pragma once

#include <socketchat/options.hpp>

namespace socketchatd {

// A cluster's node keeps accounts where every node reads them: in the cluster's Redis
// (docs/CLUSTER.md; the server keeps history there by itself). False, and nothing
// opened, without --cluster.
bool open_cluster_stores(socketchat::ServerOptions& options);

}  // namespace socketchatd
