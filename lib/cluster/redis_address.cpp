// Redis URLs (redis_address.hpp).
#include "cluster/redis_address.hpp"

#include <charconv>

namespace socketchat::detail {
namespace {

template <class Number>
bool parse_number(std::string_view text, Number& out, Number max) {
  Number value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > max) {
    return false;
  }
  out = value;
  return true;
}

bool parse_database(std::string_view text, int& database, std::string& why) {
  if (!parse_number(text, database, 1 << 20) || database < 0) {
    why = "the database must be a number";
    return false;
  }
  return true;
}

}  // namespace

std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string& why) {
  constexpr std::string_view tcp = "redis://", unix_socket = "redis+unix://";
  RedisAddress address;
  if (url.starts_with(unix_socket)) {
    std::string_view rest = url.substr(unix_socket.size());
    if (auto query = rest.find('?'); query != std::string_view::npos) {
      std::string_view parameter = rest.substr(query + 1);
      if (!parameter.starts_with("db=") ||
          !parse_database(parameter.substr(3), address.database, why)) {
        if (why.empty()) why = "the only parameter is ?db=N";
        return std::nullopt;
      }
      rest = rest.substr(0, query);
    }
    if (!rest.starts_with('/')) {
      why = "a Unix socket's path must be absolute (redis+unix:///path)";
      return std::nullopt;
    }
    address.unix_path = std::string(rest);
    return address;
  }
  if (!url.starts_with(tcp)) {
    why = "expected redis://host:port/db or redis+unix:///path";
    return std::nullopt;
  }
  std::string_view rest = url.substr(tcp.size());
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (!parse_database(rest.substr(slash + 1), address.database, why)) return std::nullopt;
    rest = rest.substr(0, slash);
  }
  if (rest.find('@') != std::string_view::npos) {
    why = "no credentials in the URL: give the password in a file";
    return std::nullopt;
  }
  std::string_view host = rest, port;
  if (rest.starts_with('[')) {
    auto close = rest.find(']');
    if (close == std::string_view::npos) {
      why = "an IPv6 address needs its closing ]";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) {
        why = "expected :port after the address";
        return std::nullopt;
      }
      port = after.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) {
    why = "the host is missing";
    return std::nullopt;
  }
  if (!port.empty() &&
      (!parse_number(port, address.port, std::uint16_t{65535}) || address.port == 0)) {
    why = "the port must be a number from 1 to 65535";
    return std::nullopt;
  }
  address.host = std::string(host);
  return address;
}

std::string to_string(const RedisAddress& address) {
  if (!address.unix_path.empty()) {
    return "redis+unix://" + address.unix_path +
           (address.database != 0 ? "?db=" + std::to_string(address.database) : "");
  }
  const bool v6 = address.host.find(':') != std::string::npos;
  return "redis://" + (v6 ? "[" + address.host + "]" : address.host) + ":" +
         std::to_string(address.port) + "/" + std::to_string(address.database);
}

}  // namespace socketchat::detail
