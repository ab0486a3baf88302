#include "accounts_command.hpp"

#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include <CLI/CLI.hpp>

#include <socketchat/account_store.hpp>
#include <socketchat/redis_account_store.hpp>

#include "accounts/password_hash.hpp"
#include "history_choice.hpp"
#include "password_input.hpp"
#include "settings.hpp"
#include "util/text.hpp"

namespace socketchatd {

namespace {

constexpr const char* name = "socketchatd accounts";
constexpr std::size_t min_password_bytes = 8;

// What the command line asked for.
struct Request {
  std::string action;  // the subcommand's name
  std::string account;
  bool is_operator = false;
  std::string data_dir;
  std::string cluster;  // a cluster's Redis: its accounts, not the data directory's
  std::string cluster_password_file;
  socketchat::detail::PasswordCost cost;
};

// Exit statuses.
constexpr int done = 0;
constexpr int refused = 1;
constexpr int usage = 2;

int refuse(const std::string& why) {
  std::cerr << name << ": " << why << "\n";
  return refused;
}

std::string no_such_account(const std::string& account) {
  return "no such account: " + account;
}

// 2024-05-01T12:00:00Z
std::string iso8601_utc(std::int64_t unix_ms) {
  auto seconds = std::chrono::floor<std::chrono::seconds>(std::chrono::milliseconds{unix_ms});
  std::time_t time = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  char text[32] = "?";
  if (::gmtime_r(&time, &utc) != nullptr)
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// A new password from standard input, hashed; nullopt after saying why.
std::optional<std::string> new_password_hash(const Request& request) {
  std::string why;
  auto password = read_new_password(why);
  if (!password) {
    refuse(why);
    return std::nullopt;
  }
  if (password->size() < min_password_bytes) {
    refuse("weak password: it needs at least " + std::to_string(min_password_bytes) + " bytes");
    return std::nullopt;
  }
  if (password->size() > socketchat::detail::max_password_bytes) {
    refuse("password too long: at most " + std::to_string(socketchat::detail::max_password_bytes) +
           " bytes");
    return std::nullopt;
  }
  auto hash = socketchat::detail::hash_password(*password, request.cost);
  if (!hash) {
    refuse("cannot hash the password: not enough memory for --password-memory-kib " +
           std::to_string(request.cost.memory_kib));
  }
  return hash;
}

int add(socketchat::AccountStore& store, const Request& request) {
  if (!socketchat::detail::is_valid_name(request.account)) {
    return refuse("invalid name: " + request.account +
                  " (1 to 32 of A-Z a-z 0-9 _ . -, starting with a letter or digit)");
  }
  // Checked before asking for a password, which would be typed for nothing.
  if (store.find(request.account)) return refuse("name taken: " + request.account);
  auto hash = new_password_hash(request);
  if (!hash) return refused;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  if (!store.create({request.account, *hash, request.is_operator, now.count(), 0})) {
    return refuse("name taken: " + request.account);  // registered meanwhile
  }
  std::cout << "added " << request.account << (request.is_operator ? " (operator)" : "") << "\n";
  return done;
}

int passwd(socketchat::AccountStore& store, const Request& request) {
  if (!store.find(request.account)) return refuse(no_such_account(request.account));
  auto hash = new_password_hash(request);
  if (!hash) return refused;
  // A new password revokes every session token minted under the old one.
  if (!store.set_password_hash(request.account, *hash, true)) {
    return refuse(no_such_account(request.account));
  }
  std::cout << "password of " << request.account << " changed; its session tokens are revoked\n";
  return done;
}

int list(socketchat::AccountStore& store) {
  for (const auto& account : store.list()) {
    std::cout << account.name << ' ' << (account.is_operator ? "operator" : "user") << ' '
              << iso8601_utc(account.created_unix_ms) << '\n';
  }
  return done;
}

int run(socketchat::AccountStore& store, const Request& request) {
  const std::string& action = request.action;
  const std::string& account = request.account;
  auto changed = [&](bool found, const std::string& what) {
    if (!found) return refuse(no_such_account(account));
    std::cout << account << ": " << what << "\n";
    return done;
  };
  if (action == "add") return add(store, request);
  if (action == "passwd") return passwd(store, request);
  if (action == "list") return list(store);
  if (action == "remove") return changed(store.remove(account), "removed");
  if (action == "grant-op") return changed(store.set_operator(account, true), "operator");
  if (action == "revoke-op") return changed(store.set_operator(account, false), "not operator");
  if (action == "revoke-tokens")
    return changed(store.revoke_tokens(account), "session tokens revoked");
  throw std::logic_error("unknown action " + action);
}

void define(CLI::App& app, Request& request) {
  app.require_subcommand(1);
  // Options of `accounts` may also follow the action: `accounts add ann --data-dir d`.
  app.fallthrough();
  app.add_option("--data-dir", request.data_dir,
                 "The server's data directory: the accounts are in its accounts.db")
      ->envname("SOCKETCHAT_DATA_DIR")
      ->type_name("DIR");
  app.add_option("--cluster", request.cluster,
                 "A cluster's Redis (as socketchatd --cluster): the accounts are there")
      ->envname("SOCKETCHAT_CLUSTER")
      ->type_name("URL");
  app.add_option("--cluster-password-file", request.cluster_password_file,
                 "With --cluster: the file holding Redis's password")
      ->envname("SOCKETCHAT_CLUSTER_PASSWORD_FILE")
      ->type_name("FILE");
  app.add_option("--password-passes", request.cost.passes,
                 "Argon2id passes for a new password, 1 to 1000")
      ->capture_default_str()
      ->type_name("N")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000}).description(""));
  app.add_option("--password-memory-kib", request.cost.memory_kib,
                 "Argon2id memory for a new password, in KiB: 8 to 4194304 (4 GiB)")
      ->capture_default_str()
      ->type_name("KIB")
      ->check(CLI::Range(std::uint64_t{8}, std::uint64_t{4} << 20).description(""));

  auto action = [&](const char* action_name, const char* description, bool named) {
    CLI::App* sub = app.add_subcommand(action_name, description);
    if (named) sub->add_option("NAME", request.account, "The account's name")->required();
    sub->callback([&request, action_name] { request.action = action_name; });
    return sub;
  };
  action("add", "Register NAME; the password comes from standard input", true)
      ->add_flag("--operator", request.is_operator, "Make the account an operator");
  action("passwd", "Set a new password (from standard input); revokes its session tokens", true);
  action("remove", "Delete the account", true);
  action("list", "Print each account: name, operator or user, created (UTC)", false);
  action("grant-op", "Make the account an operator", true);
  action("revoke-op", "Make the account a user", true);
  action("revoke-tokens", "Sign out every session: tokens minted so far stop working", true);
}

}  // namespace

namespace {

// The accounts of a cluster, in its Redis.
std::unique_ptr<socketchat::AccountStore> open_cluster_accounts(const Request& request) {
  socketchat::RedisOptions redis{.url = request.cluster};
  if (!request.cluster_password_file.empty()) {
    redis.password = read_secret_file("--cluster-password-file", request.cluster_password_file);
  }
  return std::make_unique<socketchat::RedisAccountStore>(redis);
}

}  // namespace

int accounts_command(int argc, char** argv) {
  Request request;
  CLI::App app{
      "Manage the accounts in <data-dir>/accounts.db, or a cluster's in its Redis, also while "
      "the server runs",
      name};
  define(app, request);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? done : usage;  // prints the help, or the error
  }
  if (request.data_dir.empty() && request.cluster.empty()) {
    std::cerr << name << ": --data-dir is required (or --cluster)\n";
    return usage;
  }

  try {
    if (!request.cluster.empty()) return run(*open_cluster_accounts(request), request);
    if (!sqlite_built_in()) {
      std::cerr << name << ": accounts need SQLite, and this socketchatd is built without it\n";
      return usage;
    }
    if (request.action == "add") {  // the first account makes the directory, as the server does
      std::error_code ec;
      std::filesystem::create_directories(request.data_dir, ec);
      if (ec)
        return refuse("cannot create data directory '" + request.data_dir + "': " + ec.message());
    }
    auto store = open_accounts(request.data_dir);
    return run(*store, request);
  } catch (const std::exception& e) {  // storage: a locked, unreadable or newer database
    return refuse(e.what());
  }
}

}  // namespace socketchatd
