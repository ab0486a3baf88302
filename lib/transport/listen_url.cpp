#include "transport/listen_url.hpp"

#include <charconv>

#include <fmt/format.h>

#include "socketchat/error.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

ListenUrl parse_listen_url(const std::string& url) {
  ListenUrl parsed{.text = url, .scheme = {}, .address = {}, .protocol = {}};
  std::string_view rest = url;
  auto separator = rest.find("://");
  if (separator == 0 || separator == std::string_view::npos) {
    throw config_error(fmt::format(
        "listener '{}': expected tcp://, tls://, ws://, wss://, irc://, ircs:// or a registered "
        "transport's scheme, followed by its address",
        url));
  }
  parsed.scheme = ascii_lower(rest.substr(0, separator));
  rest.remove_prefix(separator + 3);
  if (auto question = rest.find('?'); question != std::string_view::npos) {
    std::string_view query = rest.substr(question + 1);
    rest = rest.substr(0, question);
    constexpr std::string_view key = "protocol=";
    if (query.substr(0, key.size()) != key || query.size() == key.size() ||
        query.find_first_of("&=", key.size()) != std::string_view::npos) {
      throw config_error(fmt::format(
          "listener '{}': the only query is ?protocol=<name>, e.g. ?protocol=irc", url));
    }
    parsed.protocol = query.substr(key.size());
  }
  parsed.address = rest;
  return parsed;
}

TcpAddress parse_tcp_address(const ListenUrl& url, bool takes_path) {
  TcpAddress parsed;
  std::string_view rest = url.address;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (!takes_path) {
      throw config_error(fmt::format("listener '{}': only ws:// and wss:// take a path", url.text));
    }
    parsed.path = std::string(rest.substr(slash));
    rest = rest.substr(0, slash);
  } else if (takes_path) {
    parsed.path = "/ws";
  }
  auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) {
    throw config_error(fmt::format("listener '{}': missing :port", url.text));
  }
  std::string_view host = rest.substr(0, colon);
  std::string_view port_text = rest.substr(colon + 1);
  unsigned port = 0;
  auto [end, err] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (err != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    throw config_error(fmt::format("listener '{}': bad port '{}'", url.text, port_text));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  if (host == "localhost") host = "127.0.0.1";
  std::error_code ec;
  auto address = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    throw config_error(fmt::format("listener '{}': '{}' is not an IP address", url.text, host));
  }
  parsed.endpoint = {address, static_cast<std::uint16_t>(port)};
  return parsed;
}

}  // namespace socketchat::detail
