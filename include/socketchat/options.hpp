#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace socketchat {

class AccountStore;
class HistoryStore;

// Every limit of the protocol, with its default. A value of 0 means "unlimited" or
// "off" where the comment says so. validate() throws config_error for nonsense.
struct ServerOptions {
  // Listening endpoints as URLs: "tcp://host:port", "tls://host:port",
  // "ws://host:port[/path]", "wss://host:port[/path]" (WebSocket at /path, default
  // /ws; the same port serves the browser client at /, /healthz and /metrics), and
  // IRC clients on "irc://host:port" and "ircs://host:port" (docs/IRC.md). Port 0
  // picks a free port (Server::port() tells which). Empty: tcp://0.0.0.0:4000.
  std::vector<std::string> listeners;

  // PEM files for tls://, wss:// and ircs:// listeners (a certificate chain and its key).
  std::string tls_certificate_file;
  std::string tls_private_key_file;

  // WebSocket: the Origin headers accepted on the upgrade (empty: any), and the
  // largest frame and message (text, reassembled) a client may send.
  std::vector<std::string> websocket_allowed_origins;
  std::size_t websocket_max_frame_bytes = 1 << 20;
  std::size_t websocket_max_message_bytes = 1 << 20;

  std::chrono::milliseconds idle_timeout{std::chrono::seconds{60}};   // 0 = off
  std::chrono::milliseconds login_timeout{std::chrono::seconds{30}};  // 0 = off
  // How long a new connection may take to get ready for chat: the TLS handshake, the
  // WebSocket upgrade request.
  std::chrono::milliseconds handshake_timeout{std::chrono::seconds{10}};
  // How long a graceful stop waits for each client's queued output to drain.
  std::chrono::milliseconds shutdown_timeout{std::chrono::seconds{5}};

  std::size_t max_line_bytes = 4096;  // a line's bytes, without the LF (and CR)
  std::size_t sendq_bytes = 1 << 20;  // output queued for one client; 0 = unlimited
  // The kernel's send buffer for each connection (SO_SNDBUF): what a slow reader can
  // hold in the kernel on top of sendq_bytes. 0 = the system's own, which grows to MBs.
  std::size_t send_buffer_bytes = 64 * 1024;
  double rate_per_second = 20;              // commands per connection per second; 0 = off
  double rate_burst = 40;                   // commands allowed in one burst
  std::size_t max_connections = 10000;      // whole server; 0 = unlimited
  std::size_t max_connections_per_ip = 16;  // 0 = off
  // Rooms that may exist at once on the whole server, and rooms one user may be in at
  // once (IRC's CHANLIMIT): a JOIN past either is refused (too-many-rooms). 0 = unlimited.
  std::size_t max_rooms = 1000;
  std::size_t max_rooms_per_user = 20;
  // The most bytes one list reply (WHO, ROOMS, HISTORY; IRC's LIST, NAMES, WHO) takes,
  // its end included: a longer list is cut short and says how much it left out. Never
  // more than a quarter of sendq_bytes is used (when that is set), so that asking for a
  // list can never overflow the asker's send queue. At least 1024.
  std::size_t max_reply_bytes = 256 * 1024;
  // Client addresses max_connections_per_ip does not apply to: IP addresses or CIDR
  // networks ("10.0.0.0/8", "fd00::/8"), e.g. a proxy that all clients come through.
  // Loopback by default; empty strings are ignored, so {""} exempts no address.
  std::vector<std::string> connection_limit_exempt{"127.0.0.0/8", "::1"};

  unsigned threads = 0;  // I/O threads the server runs; 0 = one per core it may use

  // GET /metrics (on ws:// and wss:// listeners): when set, only a request with
  // "Authorization: Bearer <metrics_token>" gets it, any other a 401. Empty: anyone who
  // can reach the listener. A bearer token (RFC 6750: 1-256 of A-Z a-z 0-9 - . _ ~ + /,
  // then any "="); it is never logged.
  std::string metrics_token;

  // History (HISTORY): false keeps nothing, and HISTORY answers END (a store given
  // with history off is a config_error). The store is the embedder's choice
  // (SqliteHistoryStore for disk); none given: in memory (MemoryHistoryStore).
  bool history = true;
  std::shared_ptr<HistoryStore> history_store;
  // The in-memory default store's budget for all messages together: past it, the
  // history written to least recently loses its oldest messages first
  // (MemoryHistoryStore). Not used when history_store is given.
  std::size_t history_memory_bytes = std::size_t{64} << 20;
  // Messages older than this are removed, checked every history_prune_interval;
  // 0 = kept for ever.
  std::chrono::milliseconds history_retention{std::chrono::hours{24 * 30}};
  std::chrono::milliseconds history_prune_interval{std::chrono::hours{1}};

  // Accounts (PROTOCOL.md, Accounts): names that belong to someone. off: none, every
  // name is whoever's has it now; optional: guests take any name nobody registered;
  // required: no guests. Server::set_authenticator replaces them with the host's own.
  enum class Accounts { off, optional, required };
  Accounts accounts = Accounts::optional;
  bool registration_open = true;  // false: REGISTER is refused, operators create accounts
  // Passwords over connections that are not encrypted (tcp://, ws://, irc://; see
  // Stream::encrypted) from outside loopback (else tls-required).
  bool allow_plaintext_passwords = false;
  // Where accounts live (SqliteAccountStore for disk); none given: in memory.
  std::shared_ptr<AccountStore> account_store;
  // Argon2id's cost for new hashes (a login with an older cost rehashes): passes, and
  // memory per hash in KiB. OWASP's minimum by default.
  std::uint32_t password_hash_passes = 2;
  std::uint32_t password_hash_memory_kib = 19 * 1024;
  // Threads that check passwords, off the I/O threads, and how many checks may wait for
  // them: past that, a login is answered server-busy.
  unsigned password_hash_threads = 1;
  std::size_t password_hash_queue = 256;
  // Account lookups (a TOKEN's account, a REGISTER's name) that may wait for the thread
  // that reads the account store: past that, server-busy.
  std::size_t account_lookup_queue = 10000;
  // Failed logins (a wrong password, a bad token) allowed within login_failure_window
  // from one address, and for one account from anywhere; past them: login-throttled.
  // 0 = unlimited.
  std::size_t login_failures_per_address = 20;
  std::size_t login_failures_per_account = 10;
  std::chrono::milliseconds login_failure_window{std::chrono::minutes{5}};
  // Addresses, and accounts, whose failures are counted at most (each): a full table
  // forgets the expired and then the oldest. Its memory bound (about 100 bytes each).
  std::size_t login_throttle_entries = 100000;
  // How long a session token (TOKEN) is valid.
  std::chrono::milliseconds session_token_lifetime{std::chrono::hours{24 * 30}};
  // Keys that sign session tokens, 32 bytes each: the first signs, every one is
  // accepted (keep the previous key second while rotating). Empty: a random key made
  // at start, so tokens last as long as the server. Secrets: never logged.
  std::vector<std::string> session_token_keys;
  // Tokens the host's backend mints (PROTOCOL.md and EMBEDDING.md, Accounts): TOKEN also
  // takes a JWT signed with jwt_algorithm, whose `sub` is the name to log in as. Empty:
  // JWTs are off, and the other jwt_ settings unused. "HS256": signed with jwt_secret, a
  // shared secret of at least 32 bytes (never logged). "RS256", "ES256": signed with the
  // private key whose public key is in jwt_public_key_file (PEM, read at start). Only
  // the configured algorithm is ever accepted, whatever a token's header says.
  std::string jwt_algorithm;
  std::string jwt_secret;
  std::string jwt_public_key_file;
  // When set, a JWT's `aud` (a string, or an array of strings) must name jwt_audience, and
  // its `iss` must be jwt_issuer. Empty: not checked.
  std::string jwt_audience;
  std::string jwt_issuer;

  // Bans and mutes (BAN, MUTE; PROTOCOL.md, Operators) that may exist at once, together;
  // past it, BAN and MUTE are refused (too-many-bans). 0 = unlimited.
  std::size_t max_bans = 10000;
  // How soon after its last change a user may change its name again (RENAME, IRC's
  // NICK; the first change is never too soon); sooner is refused (rate-limited). 0 = any time.
  std::chrono::milliseconds rename_interval{std::chrono::seconds{10}};

  // IRC (docs/IRC.md): the name the server gives itself (the source of its messages,
  // PONG, the welcome, WHOIS and WHO), which is also the host every user is shown with
  // (a cloak: no client's address is ever shown to others). 1 to 63 of A-Z a-z 0-9 . -
  // (a host name); empty: this host's name. motd_file: a UTF-8 text file whose lines are
  // the message of the day (at registration and MOTD; at most 64 KiB), read at start;
  // empty: none (422).
  std::string server_name;
  std::string motd_file;

  // Joins this server to a cluster: several servers sharing one Redis serve one world
  // (docs/CLUSTER.md). "redis://host[:port][/db]" or "redis+unix:///path[?db=N]"; empty:
  // a server on its own. In a cluster, give history_store a RedisHistoryStore and
  // account_store a RedisAccountStore of the same Redis, so history and accounts are
  // shared too. cluster_password: Redis's (AUTH), a secret, never logged.
  std::string cluster;
  std::string cluster_password;
  // How long a node's names outlive it when it dies without leaving: its users'
  // departures are announced within this and a third of it. Renewed every third.
  std::chrono::milliseconds cluster_lease{5000};
  // The feed's backlog in Redis: the last this many messages stored, kept so that a node
  // whose connection to Redis broke delivers to its users what was sent meanwhile. About
  // the size of a message each, in Redis's memory; a node away for longer than it takes
  // the cluster to send this many misses the oldest (they stay in HISTORY). With history
  // off (nothing stored), also how many messages may wait for Redis to take them: past
  // it, or while Redis cannot be reached, messages are refused (storage-failed).
  std::size_t cluster_backlog = 100000;

  // Adds a listener, e.g. options.listen("tcp://127.0.0.1:0").
  ServerOptions& listen(std::string url);

  // Throws config_error naming the first setting that makes no sense.
  void validate() const;

  bool operator==(const ServerOptions&) const = default;
};

// True for a token metrics_token accepts: RFC 6750's b64token, at most 256 bytes.
bool is_bearer_token(std::string_view token) noexcept;

// True for a setting, named as its member ("threads"), that Server::reconfigure()
// cannot change while the server runs: it keeps its running value and is named in the
// answer when it differs. Every other setting takes effect (at once or from the next
// connection on); a name that is no setting is false.
bool needs_restart(std::string_view setting) noexcept;

}  // namespace socketchat
