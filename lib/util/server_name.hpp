#pragma once

#include <string>
#include <string_view>

namespace socketchat::detail {

// The server's name (server_name): as configured, or when that is empty the host's
// name if it is a valid one (an IRC server's name is a host's), else "socketchat".
// IRC shows it as every user's host, and room bans match masks against it.
std::string server_name_or_default(std::string_view configured);

}  // namespace socketchat::detail
