#include "socketchat/error.hpp"

namespace socketchat {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "socketchat"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::closed_by_client:
        return "closed by client";
      case errc::connection_reset:
        return "connection reset";
      case errc::idle_timeout:
        return "idle timeout";
      case errc::login_timeout:
        return "login timeout";
      case errc::sendq_exceeded:
        return "send queue exceeded";
      case errc::server_full:
        return "server full";
      case errc::too_many_connections:
        return "too many connections from one address";
      case errc::server_shutdown:
        return "server shutting down";
      case errc::handshake_timeout:
        return "handshake timeout";
      case errc::banned:
        return "banned";
    }
    return "unknown error";
  }
};

}  // namespace

const std::error_category& socketchat_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace socketchat
