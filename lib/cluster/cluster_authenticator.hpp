#pragma once

#include <memory>

#include "socketchat/authenticator.hpp"

namespace socketchat::detail {

class ClusterLink;

// A cluster's node decides a LOGIN as it would alone (the Authenticator it wraps, or
// none: any valid name), then claims the name in Redis (docs/CLUSTER.md, Inside the
// node): held by a live node in any case, `ERR username-taken`; Redis out of reach,
// `ERR storage-failed`. The Hub's own claim then adopts it (ClusterDirectory).
class ClusterAuthenticator final : public Authenticator {
 public:
  ClusterAuthenticator(std::shared_ptr<Authenticator> inner, ClusterLink& link)
      : inner_(std::move(inner)), link_(link) {}

  void authenticate(const LoginRequest& request, Done done) override;
  bool handles_accounts() const noexcept override { return inner_ && inner_->handles_accounts(); }
  void account(const AccountRequest& request, AccountDone done) override {
    if (!inner_) return Authenticator::account(request, std::move(done));
    inner_->account(request, std::move(done));
  }

 private:
  void claim(std::uint64_t connection, std::string asked, LoginResult result, Done done);

  std::shared_ptr<Authenticator> inner_;
  ClusterLink& link_;
};

}  // namespace socketchat::detail
