#include "util/server_name.hpp"

#include <system_error>

#include <asio/ip/host_name.hpp>

#include "util/text.hpp"

namespace socketchat::detail {

std::string server_name_or_default(std::string_view configured) {
  if (!configured.empty()) return std::string(configured);
  std::error_code error;
  std::string host = asio::ip::host_name(error);
  return !error && is_server_name(host) ? host : std::string("socketchat");
}

}  // namespace socketchat::detail
