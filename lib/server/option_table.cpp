#include "server/option_table.hpp"

#include <cmath>

#include <fmt/format.h>

#include "cluster/redis_address.hpp"
#include "server/address_range.hpp"
#include "server/member_count.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

using O = ServerOptions;
using Problem = std::string (*)(const O&, std::string_view);

std::string when(bool bad, std::string_view problem) {
  return bad ? std::string(problem) : "";
}

// The checks, each returning why a value makes no sense, or "".

std::string fine(const O&, std::string_view) {
  return {};
}

template <auto Duration>
std::string not_negative(const O& o, std::string_view name) {
  return (o.*Duration).count() < 0 ? fmt::format("{} must not be negative", name) : "";
}

template <auto Duration>
std::string positive(const O& o, std::string_view name) {
  return (o.*Duration).count() <= 0 ? fmt::format("{} must be positive", name) : "";
}

template <auto Count>
std::string at_least_one(const O& o, std::string_view name) {
  return o.*Count == 0 ? fmt::format("{} must be at least 1", name) : "";
}

std::string tls_files(const O& o, std::string_view) {
  return when(o.tls_certificate_file.empty() != o.tls_private_key_file.empty(),
              "tls_certificate_file and tls_private_key_file go together");
}

std::string websocket_sizes(const O& o, std::string_view) {
  return when(o.websocket_max_frame_bytes < 125 || o.websocket_max_message_bytes < 125,
              "websocket_max_frame_bytes and websocket_max_message_bytes must be at least 125");
}

std::string line_bytes(const O& o, std::string_view) {
  if (o.max_line_bytes < 16) return "max_line_bytes must be at least 16";
  return when(o.max_line_bytes > (64u << 20), "max_line_bytes must be at most 64 MiB");
}

std::string sendq_bytes(const O& o, std::string_view) {
  return when(o.sendq_bytes != 0 && o.sendq_bytes < o.max_line_bytes + 64,
              "sendq_bytes must leave room for one full line (max_line_bytes + 64) or be 0");
}

std::string rate(const O& o, std::string_view) {
  return when(!std::isfinite(o.rate_per_second) || o.rate_per_second < 0,
              "rate_per_second must be >= 0");
}

std::string burst(const O& o, std::string_view) {
  return when(o.rate_per_second > 0 && (!std::isfinite(o.rate_burst) || o.rate_burst < 1),
              "rate_burst must be at least 1 when rate_per_second is set");
}

std::string reply_bytes(const O& o, std::string_view) {
  return when(o.max_reply_bytes < 1024, "max_reply_bytes must be at least 1024");
}

std::string exempt(const O& o, std::string_view) {
  for (const auto& range : o.connection_limit_exempt) {
    if (!range.empty() && !AddressRange::parse(range)) {
      return fmt::format("connection_limit_exempt: '{}' is not an IP address or CIDR network",
                         range);
    }
  }
  return {};
}

std::string threads(const O& o, std::string_view) {
  return when(o.threads > 1024, "threads must be at most 1024");
}

std::string token(const O& o, std::string_view) {  // a secret: never in the message
  return when(!o.metrics_token.empty() && !is_bearer_token(o.metrics_token),
              "metrics_token must be 1-256 of A-Z a-z 0-9 - . _ ~ + / followed by any '='");
}

std::string store(const O& o, std::string_view) {
  return when(o.history_store && !o.history, "history_store is given but history is off");
}

std::string cluster_url(const O& o, std::string_view) {
  if (o.cluster.empty()) return "";
  std::string why;
  return parse_redis_url(o.cluster, why) ? "" : "cluster: " + why;
}

std::string cluster_lease(const O& o, std::string_view) {
  return when(o.cluster_lease < std::chrono::milliseconds(300),
              "cluster_lease must be at least 0.3 s");
}

std::string cluster_backlog(const O& o, std::string_view) {
  return when(o.cluster_backlog == 0, "cluster_backlog must be at least 1");
}

std::string memory_bytes(const O& o, std::string_view) {
  return when(o.history_memory_bytes < (64u << 10), "history_memory_bytes must be at least 64 KiB");
}

std::string account_store(const O& o, std::string_view) {
  return when(o.account_store && o.accounts == O::Accounts::off,
              "account_store is given but accounts are off");
}

std::string hash_cost(const O& o, std::string_view) {
  if (o.password_hash_passes < 1 || o.password_hash_passes > 1000) {
    return "password_hash_passes must be 1 to 1000";
  }
  return when(o.password_hash_memory_kib < 8 || o.password_hash_memory_kib > (4u << 20),
              "password_hash_memory_kib must be 8 to 4194304");
}

std::string hash_threads(const O& o, std::string_view) {
  return when(o.password_hash_threads < 1 || o.password_hash_threads > 1024,
              "password_hash_threads must be 1 to 1024");
}

std::string token_keys(const O& o, std::string_view) {  // secrets: never in the message
  for (const auto& key : o.session_token_keys) {
    if (key.size() != 32) return "session_token_keys: every key must be 32 bytes";
  }
  return {};
}

// JWTs (jwt_algorithm): its key, and only its key. Secrets: never in the message.
std::string jwt(const O& o, std::string_view) {
  if (o.jwt_algorithm.empty()) return {};  // off: the rest is unused
  if (o.accounts == O::Accounts::off) return "jwt_algorithm is set but accounts are off";
  if (o.jwt_algorithm == "HS256") {
    if (o.jwt_secret.size() < 32) {
      return "jwt_algorithm HS256 needs a jwt_secret of at least 32 bytes";
    }
    return when(!o.jwt_public_key_file.empty(),
                "jwt_algorithm HS256 takes jwt_secret, not jwt_public_key_file");
  }
  if (o.jwt_algorithm != "RS256" && o.jwt_algorithm != "ES256") {
    return "jwt_algorithm must be HS256, RS256, ES256 or empty";
  }
  if (o.jwt_public_key_file.empty()) {
    return fmt::format("jwt_algorithm {} needs jwt_public_key_file", o.jwt_algorithm);
  }
  return when(
      !o.jwt_secret.empty(),
      fmt::format("jwt_algorithm {} takes jwt_public_key_file, not jwt_secret", o.jwt_algorithm));
}

std::string server_name(const O& o, std::string_view) {
  return when(!o.server_name.empty() && !is_server_name(o.server_name),
              "server_name must be 1 to 63 of A-Z a-z 0-9 . - (a host name)");
}

template <auto Member>
constexpr OptionDescriptor option(std::string_view name, Change change, Problem problem = fine) {
  return {name, change, [](const O& a, const O& b) { return a.*Member != b.*Member; },
          [](const O& from, O& to) { to.*Member = from.*Member; }, problem};
}

constexpr Change live = Change::live;
constexpr Change restart = Change::restart;

// Restart: what a server uses up at start (the sockets bound, the threads started, the
// line protocol built for its line length, the history store made). The rest is read
// while it runs: LiveLimits, Settings::options(), the Hub's limits.
constexpr OptionDescriptor table[] = {
    option<&O::listeners>("listeners", restart),
    option<&O::tls_certificate_file>("tls_certificate_file", live),
    option<&O::tls_private_key_file>("tls_private_key_file", live, tls_files),
    option<&O::websocket_allowed_origins>("websocket_allowed_origins", live),
    option<&O::websocket_max_frame_bytes>("websocket_max_frame_bytes", live),
    option<&O::websocket_max_message_bytes>("websocket_max_message_bytes", live, websocket_sizes),
    option<&O::idle_timeout>("idle_timeout", live, not_negative<&O::idle_timeout>),
    option<&O::login_timeout>("login_timeout", live, not_negative<&O::login_timeout>),
    option<&O::handshake_timeout>("handshake_timeout", live, positive<&O::handshake_timeout>),
    option<&O::shutdown_timeout>("shutdown_timeout", live, not_negative<&O::shutdown_timeout>),
    option<&O::max_line_bytes>("max_line_bytes", restart, line_bytes),
    option<&O::sendq_bytes>("sendq_bytes", live, sendq_bytes),
    option<&O::send_buffer_bytes>("send_buffer_bytes", live),
    option<&O::rate_per_second>("rate_per_second", live, rate),
    option<&O::rate_burst>("rate_burst", live, burst),
    option<&O::max_connections>("max_connections", live),
    option<&O::max_connections_per_ip>("max_connections_per_ip", live),
    option<&O::max_rooms>("max_rooms", live),
    option<&O::max_rooms_per_user>("max_rooms_per_user", live),
    option<&O::max_reply_bytes>("max_reply_bytes", live, reply_bytes),
    option<&O::connection_limit_exempt>("connection_limit_exempt", live, exempt),
    option<&O::threads>("threads", restart, threads),
    option<&O::metrics_token>("metrics_token", live, token),
    option<&O::history>("history", restart),
    option<&O::history_store>("history_store", restart, store),
    option<&O::history_memory_bytes>("history_memory_bytes", restart, memory_bytes),
    option<&O::history_retention>("history_retention", live, not_negative<&O::history_retention>),
    option<&O::history_prune_interval>("history_prune_interval", live,
                                       positive<&O::history_prune_interval>),
    // Accounts: the authenticator is made at start with all of them.
    option<&O::accounts>("accounts", restart),
    option<&O::registration_open>("registration_open", restart),
    option<&O::allow_plaintext_passwords>("allow_plaintext_passwords", restart),
    option<&O::account_store>("account_store", restart, account_store),
    option<&O::password_hash_passes>("password_hash_passes", restart),
    option<&O::password_hash_memory_kib>("password_hash_memory_kib", restart, hash_cost),
    option<&O::password_hash_threads>("password_hash_threads", restart, hash_threads),
    option<&O::password_hash_queue>("password_hash_queue", restart),
    option<&O::account_lookup_queue>("account_lookup_queue", restart,
                                     at_least_one<&O::account_lookup_queue>),
    option<&O::login_failures_per_address>("login_failures_per_address", restart),
    option<&O::login_failures_per_account>("login_failures_per_account", restart),
    option<&O::login_failure_window>("login_failure_window", restart,
                                     positive<&O::login_failure_window>),
    option<&O::login_throttle_entries>("login_throttle_entries", restart,
                                       at_least_one<&O::login_throttle_entries>),
    option<&O::session_token_lifetime>("session_token_lifetime", restart,
                                       positive<&O::session_token_lifetime>),
    option<&O::session_token_keys>("session_token_keys", restart, token_keys),
    option<&O::jwt_algorithm>("jwt_algorithm", restart),
    option<&O::jwt_secret>("jwt_secret", restart),
    option<&O::jwt_public_key_file>("jwt_public_key_file", restart, jwt),
    option<&O::jwt_audience>("jwt_audience", restart),
    option<&O::jwt_issuer>("jwt_issuer", restart),
    option<&O::max_bans>("max_bans", live),
    option<&O::rename_interval>("rename_interval", live, not_negative<&O::rename_interval>),
    // IRC: the protocol is made at start with them.
    option<&O::server_name>("server_name", restart, server_name),
    option<&O::motd_file>("motd_file", restart),
    // The cluster: joined at start.
    option<&O::cluster>("cluster", restart, cluster_url),
    option<&O::cluster_password>("cluster_password", restart),
    option<&O::cluster_lease>("cluster_lease", restart, cluster_lease),
    option<&O::cluster_backlog>("cluster_backlog", restart, cluster_backlog),
};

static_assert(std::size(table) == member_count<ServerOptions>(),
              "every member of ServerOptions needs its line in this table");

}  // namespace

std::span<const OptionDescriptor> option_table() noexcept {
  return table;
}

}  // namespace socketchat::detail
