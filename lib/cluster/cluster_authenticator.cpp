#include "cluster/cluster_authenticator.hpp"

#include "cluster/cluster_link.hpp"

namespace socketchat::detail {

void ClusterAuthenticator::authenticate(const LoginRequest& request, Done done) {
  const std::uint64_t connection = request.connection;
  std::string asked(request.name);
  if (!inner_) return claim(connection, std::move(asked), LoginResult::accept(), std::move(done));
  inner_->authenticate(request, [this, connection, asked = std::move(asked),
                                 done = std::move(done)](LoginResult result) mutable {
    if (!result.accepted) return done(std::move(result));
    claim(connection, std::move(asked), std::move(result), std::move(done));
  });
}

void ClusterAuthenticator::claim(std::uint64_t connection, std::string asked, LoginResult result,
                                 Done done) {
  std::string name = result.name.empty() ? std::move(asked) : result.name;
  link_.claim(connection, std::move(name),
              [result = std::move(result), done = std::move(done)](ClusterPresence::Claim claim) {
                switch (claim) {
                  case ClusterPresence::Claim::claimed:
                    return done(result);
                  case ClusterPresence::Claim::taken:
                    return done(LoginResult::refuse(ReplyError::username_taken));
                  case ClusterPresence::Claim::failed:
                    return done(LoginResult::refuse(ReplyError::storage_failed));
                }
              });
}

}  // namespace socketchat::detail
