#include "setting_table.hpp"

#include <algorithm>
#include <cctype>

#include "history_choice.hpp"
#include "setting_binding.hpp"

namespace socketchatd {

namespace {

using O = socketchat::ServerOptions;
using namespace binding;

// A secret: the message never repeats the value.
const CLI::Validator bearer_token{
    [](std::string& text) {
      return text.empty() || socketchat::is_bearer_token(text)
                 ? ""
                 : "must be 1-256 of A-Z a-z 0-9 - . _ ~ + / followed by any '=' (value not shown)";
    },
    "", "BEARER_TOKEN"};

std::vector<Setting> make_table() {
  return {
      {.key = "host",
       .unit = "ADDRESS",
       .help = "Address to listen on; ignored when --listen is given",
       .reload = Reload::server,
       .feeds = {"listeners"},
       .example = "127.0.0.1",
       .binding = text(&Settings::host),
       .section = "Where to listen"},
      {.key = "port",
       .unit = "PORT",
       .help = "TCP port to listen on; 0 picks a free one. Ignored when --listen is given",
       .reload = Reload::server,
       .feeds = {"listeners"},
       .example = "4001",
       .binding = number(&Settings::port),
       .check = CLI::Range(0u, 65535u).description("")},
      {.key = "listen",
       .unit = "URL",
       .help = "Listener URL, repeatable (comma-separated in the environment): tcp://host:port "
               "(IPv6 as tcp://[::1]:4000), tls://host:port, ws://host:port[/path], "
               "wss://host:port[/path], and IRC clients on irc://host:port and ircs://host:port "
               "(over TLS); replaces --host and --port",
       .reload = Reload::server,
       .feeds = {"listeners"},
       .example = "tcp://127.0.0.1:4000,tcp://[::1]:4000,irc://127.0.0.1:6667",
       .binding = list(&Settings::listen)},

      {.key = "tls-cert",
       .unit = "FILE",
       .help = "PEM certificate (chain) for tls://, wss:// and ircs:// listeners; SIGHUP re-reads "
               "it and the key, and open connections keep the certificate they started with",
       .reload = Reload::server,
       .feeds = {"tls_certificate_file"},
       .example = "/etc/socketchat/cert.pem",
       .binding = text(&O::tls_certificate_file),
       .section = "TLS and WebSocket"},
      {.key = "tls-key",
       .unit = "FILE",
       .help = "PEM private key for --tls-cert",
       .reload = Reload::server,
       .feeds = {"tls_private_key_file"},
       .example = "/etc/socketchat/key.pem",
       .binding = text(&O::tls_private_key_file)},
      {.key = "ws-allowed-origin",
       .unit = "ORIGIN",
       .help = "Origin accepted on a WebSocket upgrade (the browser's Origin header), repeatable; "
               "none given: any",
       .reload = Reload::server,
       .feeds = {"websocket_allowed_origins"},
       .example = "https://chat.example.org",
       .binding = list(&O::websocket_allowed_origins)},
      {.key = "metrics-token",
       .unit = "TOKEN",
       .help = "Serve /metrics (on every ws:// and wss:// listener) only to requests with "
               "\"Authorization: Bearer TOKEN\", others get 401; none given: to anyone who reaches "
               "the listener. 1-256 of A-Z a-z 0-9 - . _ ~ + / (then any \"=\"), e.g. from openssl "
               "rand -hex 32; never logged. Better in the environment or a config file only the "
               "daemon can read than on the command line, which other users can see",
       .reload = Reload::server,
       .feeds = {"metrics_token"},
       .example = "paste-the-output-of-openssl-rand-hex-32",
       .binding = text(&O::metrics_token),
       .check = bearer_token},

      {.key = "idle-timeout",
       .unit = "SECONDS",
       .help = "Close a connection that has sent nothing for this long; 0 = off",
       .reload = Reload::server,
       .feeds = {"idle_timeout"},
       .example = "120",
       .binding = seconds(&O::idle_timeout),
       .section = "Timeouts, in seconds (fractions such as 0.5 are fine; 1 ms resolution)"},
      {.key = "login-timeout",
       .unit = "SECONDS",
       .help = "Close a connection that has not logged in after this long; 0 = off",
       .reload = Reload::server,
       .feeds = {"login_timeout"},
       .example = "10",
       .binding = seconds(&O::login_timeout)},
      {.key = "handshake-timeout",
       .unit = "SECONDS",
       .help = "Time a new connection has for its TLS handshake or WebSocket upgrade",
       .reload = Reload::server,
       .feeds = {"handshake_timeout"},
       .example = "5",
       .binding = seconds(&O::handshake_timeout)},
      {.key = "shutdown-timeout",
       .unit = "SECONDS",
       .help = "On SIGTERM or SIGINT, how long to wait for each client's queued output to drain",
       .reload = Reload::server,
       .feeds = {"shutdown_timeout"},
       .example = "2",
       .binding = seconds(&O::shutdown_timeout)},

      {.key = "max-line-bytes",
       .unit = "BYTES",
       .help = "Longest accepted line (without its LF); a longer one gets ERR line-too-long",
       .reload = Reload::server,
       .feeds = {"max_line_bytes"},
       .example = "8192",
       .binding = number(&O::max_line_bytes),
       .section = "Limits (PROTOCOL.md, \"Limits and abuse\")"},
      {.key = "sendq-bytes",
       .unit = "BYTES",
       .help = "Output queued for one slow reader before it is disconnected; 0 = unlimited",
       .reload = Reload::server,
       .feeds = {"sendq_bytes"},
       .example = "2097152",
       .binding = number(&O::sendq_bytes)},
      {.key = "send-buffer-bytes",
       .unit = "BYTES",
       .help = "The kernel's send buffer per connection (SO_SNDBUF), on top of --sendq-bytes; 0 = "
               "the system's own, which grows to megabytes for a reader that does not read",
       .reload = Reload::server,
       .feeds = {"send_buffer_bytes"},
       .example = "0",
       .binding = number(&O::send_buffer_bytes)},
      {.key = "rate",
       .unit = "N",
       .help = "Commands per connection per second; 0 = off",
       .reload = Reload::server,
       .feeds = {"rate_per_second"},
       .example = "10",
       .binding = number(&O::rate_per_second)},
      {.key = "rate-burst",
       .unit = "N",
       .help = "Commands allowed in one burst",
       .reload = Reload::server,
       .feeds = {"rate_burst"},
       .example = "80",
       .binding = number(&O::rate_burst)},
      {.key = "max-connections",
       .unit = "N",
       .help = "Connections to the whole server (more get ERR server-full); 0 = unlimited",
       .reload = Reload::server,
       .feeds = {"max_connections"},
       .example = "500",
       .binding = number(&O::max_connections)},
      {.key = "max-connections-per-ip",
       .unit = "N",
       .help = "Connections from one IP address (more get ERR too-many-connections); 0 = off",
       .reload = Reload::server,
       .feeds = {"max_connections_per_ip"},
       .example = "4",
       .binding = number(&O::max_connections_per_ip)},
      {.key = "connection-limit-exempt",
       .unit = "CIDR",
       .help = "Addresses and CIDR networks --max-connections-per-ip does not apply to, "
               "repeatable, e.g. a reverse proxy all clients come through (10.0.0.0/8, "
               "fd00::/8); \"\" for none",
       .reload = Reload::server,
       .feeds = {"connection_limit_exempt"},
       .example = "10.0.0.0/8",
       .binding = list(&O::connection_limit_exempt)},
      {.key = "max-rooms",
       .unit = "N",
       .help = "Rooms on the whole server (a JOIN that would create one more gets ERR "
               "too-many-rooms); 0 = unlimited",
       .reload = Reload::server,
       .feeds = {"max_rooms"},
       .example = "100",
       .binding = number(&O::max_rooms)},
      {.key = "max-rooms-per-user",
       .unit = "N",
       .help = "Rooms one user may be in at once (IRC's CHANLIMIT; one more gets ERR "
               "too-many-rooms); 0 = unlimited",
       .reload = Reload::server,
       .feeds = {"max_rooms_per_user"},
       .example = "5",
       .binding = number(&O::max_rooms_per_user)},
      {.key = "max-reply-bytes",
       .unit = "BYTES",
       .help = "Longest reply to one list command (WHO, ROOMS, HISTORY; IRC LIST, NAMES, WHO), at "
               "least 1024 and never more than a quarter of --sendq-bytes; a longer list is cut "
               "short and ends in MORE with the number of entries left out",
       .reload = Reload::server,
       .feeds = {"max_reply_bytes"},
       .example = "65536",
       .binding = number(&O::max_reply_bytes)},

      {.key = "threads",
       .unit = "N",
       .help = "I/O threads; 0 = one per CPU core it may use (taskset, cpuset)",
       .reload = Reload::server,
       .feeds = {"threads"},
       .example = "2",
       .binding = number(&O::threads),
       .section = "Runtime"},
      {.key = "log-format",
       .unit = "FORMAT",
       .help = "Log lines on stderr: text for people, json (one object a line) for machines",
       .reload = Reload::daemon,
       .example = "json",
       .binding = text(&Settings::log_format),
       .check = CLI::IsMember({"text", "json"})},
      {.key = "log-messages",
       .unit = "BOOL",
       .help = "Log each MSG and SAY with its text (a DM's text never is); false keeps them out "
               "of the log (and costs less under heavy traffic)",
       .reload = Reload::daemon,
       .example = "false",
       .binding = boolean(&Settings::log_messages)},

      {.key = "history",
       .unit = "STORE",
       .help = "Where messages are kept: sqlite (a database in --data-dir), memory (lost on "
               "restart), or off (HISTORY answers END)",
       .reload = Reload::restart,
       .feeds = {"history"},
       .example = "off",
       .binding = text(&Settings::history),
       .check = history_kinds(),
       .section = "History (HISTORY)"},
      {.key = "data-dir",
       .unit = "DIR",
       .help = "Directory for the history database; created if missing",
       .reload = Reload::restart,
       .feeds = {"history_store"},
       .example = "/var/lib/socketchat",
       .binding = text(&Settings::data_dir),
       .check = data_dir_allowed()},
      {.key = "history-sync",
       .unit = "LEVEL",
       .help = "With --history sqlite: normal keeps every delivered message through a crash of "
               "the process; full also through a power loss or a crash of the machine, at an "
               "fsync per batch of messages (docs/ARCHITECTURE.md)",
       .reload = Reload::restart,
       .feeds = {"history_store"},
       .example = "full",
       .binding = text(&Settings::history_sync),
       .check = CLI::IsMember({"normal", "full"})},
      {.key = "history-journal-bytes",
       .unit = "BYTES",
       .help = "With --history sqlite and --history-sync normal: a message is delivered once "
               "written to an append-only journal, and indexed into the database behind; what "
               "waits for the index may take this much memory (each message its texts and "
               "256 bytes), past which a message waits for its commit; 0 = no journal "
               "(docs/ARCHITECTURE.md)",
       .reload = Reload::restart,
       .feeds = {"history_store"},
       .example = "0",
       .binding = number(&Settings::history_journal_bytes)},
      {.key = "history-days",
       .unit = "DAYS",
       .help = "Remove messages older than this many days (checked hourly); 0 = keep for ever",
       .reload = Reload::server,
       .feeds = {"history_retention"},
       .example = "7",
       .binding = number(&Settings::history_days),
       .check = CLI::Range(0.0, 1e6).description("")},
      {.key = "history-memory-bytes",
       .unit = "BYTES",
       .help = "With --history memory: what all messages together may take (at least 65536); "
               "past it the oldest messages of the least recently written histories go first",
       .reload = Reload::server,
       .feeds = {"history_memory_bytes"},
       .example = "1048576",
       .binding = number(&O::history_memory_bytes)},

      {.key = "max-bans",
       .unit = "COUNT",
       .help = "Bans and mutes (BAN, MUTE, IRC's MODE +b) that may exist at once, room bans by "
               "mask included; 0 = unlimited",
       .reload = Reload::server,
       .feeds = {"max_bans"},
       .example = "500",
       .binding = number(&O::max_bans)},
      {.key = "rename-interval",
       .unit = "SECONDS",
       .help = "How soon after a rename a user may change its name again (RENAME, IRC's "
               "NICK); 0 = any time",
       .reload = Reload::server,
       .feeds = {"rename_interval"},
       .example = "60",
       .binding = seconds(&O::rename_interval)},

      {.key = "server-name",
       .unit = "NAME",
       .help = "The server's name to IRC clients (the source of its messages, PONG, the "
               "welcome, WHOIS), also shown as every user's host (no address is shown to "
               "others); empty: this host's name",
       .reload = Reload::restart,
       .feeds = {"server_name"},
       .example = "irc.example.org",
       .binding = text(&O::server_name),
       .section = "IRC"},
      {.key = "motd",
       .unit = "FILE",
       .help = "UTF-8 text file: the message of the day IRC clients get at registration and "
               "with MOTD (at most 64 KiB); none: no MOTD (422)",
       .reload = Reload::restart,
       .feeds = {"motd_file"},
       .example = "/etc/socketchat/motd.txt",
       .binding = text(&O::motd_file)},

      {.key = "accounts",
       .unit = "MODE",
       .help = "Accounts: off (a name is whoever's has it now), optional (guests take names "
               "nobody registered) or required (no guests); kept in --data-dir when SQLite is "
               "built in, else in memory",
       .reload = Reload::restart,
       .feeds = {"accounts", "account_store", "session_token_keys"},
       .example = "required",
       .binding = text(&Settings::accounts),
       .check = CLI::IsMember({"off", "optional", "required"}),
       .section = "Accounts (REGISTER, LOGIN with a password, TOKEN)"},
      {.key = "registration",
       .unit = "WHO",
       .help = "open: anyone may REGISTER; closed: only an operator creates accounts "
               "(socketchatd accounts add)",
       .reload = Reload::restart,
       .feeds = {"registration_open"},
       .example = "closed",
       .binding = text(&Settings::registration),
       .check = CLI::IsMember({"open", "closed"})},
      {.key = "allow-plaintext-passwords",
       .unit = "BOOL",
       .help = "Accept passwords over tcp://, ws:// and irc:// from outside loopback (else "
               "ERR tls-required)",
       .reload = Reload::restart,
       .feeds = {"allow_plaintext_passwords"},
       .example = "true",
       .binding = boolean(&O::allow_plaintext_passwords)},
      {.key = "password-hash-passes",
       .unit = "COUNT",
       .help = "Argon2id passes for new password hashes; a login under another cost rehashes",
       .reload = Reload::restart,
       .feeds = {"password_hash_passes"},
       .example = "3",
       .binding = number(&O::password_hash_passes)},
      {.key = "password-hash-memory-kib",
       .unit = "KIB",
       .help = "Argon2id memory per password hash, in KiB",
       .reload = Reload::restart,
       .feeds = {"password_hash_memory_kib"},
       .example = "65536",
       .binding = number(&O::password_hash_memory_kib)},
      {.key = "password-hash-threads",
       .unit = "COUNT",
       .help = "Threads that check passwords, off the I/O threads",
       .reload = Reload::restart,
       .feeds = {"password_hash_threads"},
       .example = "2",
       .binding = number(&O::password_hash_threads)},
      {.key = "password-hash-queue",
       .unit = "COUNT",
       .help = "Password checks that may wait for those threads; past it a login gets ERR "
               "server-busy",
       .reload = Reload::restart,
       .feeds = {"password_hash_queue"},
       .example = "64",
       .binding = number(&O::password_hash_queue)},
      {.key = "account-lookup-queue",
       .unit = "COUNT",
       .help = "Account lookups (TOKEN, REGISTER) that may wait for the account store; past "
               "it ERR server-busy",
       .reload = Reload::restart,
       .feeds = {"account_lookup_queue"},
       .example = "1000",
       .binding = number(&O::account_lookup_queue)},
      {.key = "login-failures-per-address",
       .unit = "COUNT",
       .help = "Failed logins from one address within --login-failure-window before ERR "
               "login-throttled; 0 = unlimited",
       .reload = Reload::restart,
       .feeds = {"login_failures_per_address"},
       .example = "50",
       .binding = number(&O::login_failures_per_address)},
      {.key = "login-failures-per-account",
       .unit = "COUNT",
       .help = "Failed logins for one account, from anywhere, within --login-failure-window "
               "before ERR login-throttled; 0 = unlimited",
       .reload = Reload::restart,
       .feeds = {"login_failures_per_account"},
       .example = "5",
       .binding = number(&O::login_failures_per_account)},
      {.key = "login-failure-window",
       .unit = "SECONDS",
       .help = "How long a failed login counts",
       .reload = Reload::restart,
       .feeds = {"login_failure_window"},
       .example = "60",
       .binding = seconds(&O::login_failure_window)},
      {.key = "login-throttle-entries",
       .unit = "COUNT",
       .help = "Addresses, and accounts, whose failed logins are counted at most (each); a "
               "full table forgets the oldest",
       .reload = Reload::restart,
       .feeds = {"login_throttle_entries"},
       .example = "10000",
       .binding = number(&O::login_throttle_entries)},
      {.key = "session-token-lifetime",
       .unit = "SECONDS",
       .help = "How long a session token (TOKEN) logs in",
       .reload = Reload::restart,
       .feeds = {"session_token_lifetime"},
       .example = "86400",
       .binding = seconds(&O::session_token_lifetime)},
      {.key = "jwt-algorithm",
       .unit = "ALG",
       .help =
           "TOKEN also takes a JWT your application's backend signs, its sub the name to "
           "log in as: off, HS256 (signed with the secret in --jwt-secret-file), RS256 or "
           "ES256 (signed with the private key of the public key in --jwt-public-key-file). Only "
           "this algorithm is accepted, whatever a token says",
       .reload = Reload::restart,
       .feeds = {"jwt_algorithm"},
       .example = "RS256",
       .binding = text(&Settings::jwt_algorithm),
       .check = CLI::IsMember({"off", "HS256", "RS256", "ES256"})},
      {.key = "jwt-secret-file",
       .unit = "FILE",
       .help = "With --jwt-algorithm HS256: the file holding the shared secret, at least 32 "
               "bytes (a trailing newline is dropped), e.g. from openssl rand -hex 32; a file "
               "rather than a value, which the command line would show to other users; never "
               "logged",
       .reload = Reload::restart,
       .feeds = {"jwt_secret"},
       .example = "/etc/socketchat/jwt-secret",
       .binding = text(&Settings::jwt_secret_file)},
      {.key = "jwt-public-key-file",
       .unit = "FILE",
       .help = "With --jwt-algorithm RS256 or ES256: the public key (PEM) that JWT signatures "
               "are checked with",
       .reload = Reload::restart,
       .feeds = {"jwt_public_key_file"},
       .example = "/etc/socketchat/jwt-public.pem",
       .binding = text(&O::jwt_public_key_file)},
      {.key = "jwt-audience",
       .unit = "TEXT",
       .help = "When set, a JWT's aud must name it",
       .reload = Reload::restart,
       .feeds = {"jwt_audience"},
       .example = "chat.example.org",
       .binding = text(&O::jwt_audience)},
      {.key = "jwt-issuer",
       .unit = "TEXT",
       .help = "When set, a JWT's iss must be it",
       .reload = Reload::restart,
       .feeds = {"jwt_issuer"},
       .example = "https://app.example.org",
       .binding = text(&O::jwt_issuer)},
      {.key = "cluster",
       .unit = "URL",
       .help = "Joins the cluster kept in this Redis (docs/CLUSTER.md): every node started "
               "with the same URL serves one world, and history and accounts live in Redis "
               "(--history and --data-dir then hold only the session token keys). "
               "redis://host[:port][/db] or redis+unix:///path[?db=N]; empty: on its own",
       .reload = Reload::restart,
       .feeds = {"cluster"},
       .example = "redis://127.0.0.1:6379/0",
       .binding = text(&O::cluster)},
      {.key = "cluster-password-file",
       .unit = "FILE",
       .help = "With --cluster: the file holding Redis's password (a trailing newline is "
               "dropped); never logged",
       .reload = Reload::restart,
       .feeds = {"cluster_password"},
       .example = "/etc/socketchat/redis-password",
       .binding = text(&Settings::cluster_password_file)},
      {.key = "cluster-lease",
       .unit = "SECONDS",
       .help = "With --cluster: a node that dies has its users' names freed and their "
               "departures announced within this and a third of it",
       .reload = Reload::restart,
       .feeds = {"cluster_lease"},
       .example = "2",
       .binding = seconds(&O::cluster_lease)},
      {.key = "cluster-backlog",
       .unit = "MESSAGES",
       .help = "With --cluster: the last this many messages are kept in Redis, so that a "
               "node whose connection to Redis broke delivers what was sent meanwhile (with "
               "--history off: how many may wait for Redis before more are refused)",
       .reload = Reload::restart,
       .feeds = {"cluster_backlog"},
       .example = "1000000",
       .binding = number(&O::cluster_backlog)},
  };
}

}  // namespace

const std::vector<Setting>& setting_table() {
  static const std::vector<Setting> table = make_table();
  return table;
}

std::string env_name(const Setting& setting) {
  std::string name = "SOCKETCHAT_";
  for (char c : setting.key) {
    name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

bool needs_restart(const Setting& setting) {
  if (setting.reload != Reload::server) return setting.reload == Reload::restart;
  return std::any_of(setting.feeds.begin(), setting.feeds.end(),
                     [](const std::string& member) { return socketchat::needs_restart(member); });
}

}  // namespace socketchatd
