#include "accounts/account_authenticator.hpp"

#include <algorithm>

#include <asio/ip/address.hpp>

#include "socketchat/memory_account_store.hpp"
#include "util/text.hpp"

namespace socketchat::detail {
namespace {

using std::chrono::duration_cast;
using std::chrono::seconds;
using SystemClock = std::chrono::system_clock;

constexpr std::size_t min_password_bytes = 8;
constexpr std::size_t max_token_bytes = 512;
// Password hashes yield the cores to chat: a nice value of 10 gives them about a tenth
// of a core the I/O threads want, and lets a PING's wakeup preempt a hash at once
// (docs/PERFORMANCE.md, Logins).
constexpr int hashing_niceness = 10;

std::vector<std::string> keys_of(const ServerOptions& options) {
  if (!options.session_token_keys.empty()) return options.session_token_keys;
  return {SessionTokens::random_key()};  // tokens last as long as this server
}

// "1.2.3.4:5678", "[::1]:5678": the address; anything else (a Unix socket's peer) as is.
std::string_view address_of(std::string_view remote) {
  if (remote.starts_with('[')) {
    auto end = remote.find(']');
    return end == std::string_view::npos ? remote : remote.substr(1, end - 1);
  }
  auto colon = remote.rfind(':');
  return colon == std::string_view::npos ? remote : remote.substr(0, colon);
}

bool has_blank(std::string_view text) {
  return std::any_of(text.begin(), text.end(), is_blank);
}

}  // namespace

AccountAuthenticator::AccountAuthenticator(const ServerOptions& options)
    : mode_(options.accounts),
      registration_open_(options.registration_open),
      allow_plaintext_(options.allow_plaintext_passwords),
      cost_{options.password_hash_passes, options.password_hash_memory_kib},
      token_lifetime_(duration_cast<seconds>(options.session_token_lifetime)),
      store_(options.account_store ? options.account_store
                                   : std::make_shared<MemoryAccountStore>()),
      tokens_(keys_of(options)),
      jwt_(JwtVerifier::from_options(options)),
      throttle_(options.login_failures_per_address, options.login_failures_per_account,
                std::max(seconds{1}, duration_cast<seconds>(options.login_failure_window)),
                options.login_throttle_entries),
      hashing_("password-hash", options.password_hash_threads, options.password_hash_queue,
               hashing_niceness),
      lookups_("account-lookup", 1, options.account_lookup_queue) {}

AccountAuthenticator::~AccountAuthenticator() {
  // Jobs hold `this`: they end before the members they use.
  hashing_.stop();
  lookups_.stop();
}

void AccountAuthenticator::authenticate(const LoginRequest& request, Done done) {
  switch (request.kind) {
    case LoginKind::name:
      return guest(request, std::move(done));
    case LoginKind::password:
      return log_in_with_password(request, std::move(done));
    case LoginKind::token:
      return log_in_with_token(request, std::move(done));
    case LoginKind::register_account:
      return register_account(request, std::move(done));
  }
  done(LoginResult::refuse());
}

void AccountAuthenticator::account(const AccountRequest& request, AccountDone done) {
  if (request.kind == AccountRequest::Kind::change_password) {
    return change_password(request, std::move(done));
  }
  if (request.kind == AccountRequest::Kind::become_operator) {
    return become_operator(request, std::move(done));
  }
  issue_token(request, std::move(done));
}

bool AccountAuthenticator::plaintext_refused(bool encrypted, std::string_view remote) const {
  if (allow_plaintext_ || encrypted) return false;
  std::error_code ec;
  auto address = asio::ip::make_address(std::string(address_of(remote)), ec);
  if (ec) return true;  // not an IP address: a transport that could be anywhere
  return !address.is_loopback() &&
         !(address.is_v6() && address.to_v6().is_v4_mapped() &&
           asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).is_loopback());
}

std::optional<ReplyError> AccountAuthenticator::unfit_password(std::string_view password) {
  if (has_blank(password)) return ReplyError::invalid_password;
  if (password.size() < min_password_bytes) return ReplyError::weak_password;
  if (password.size() > max_password_bytes) return ReplyError::password_too_long;
  return std::nullopt;
}

LoginResult AccountAuthenticator::accepted(const Account& account) {
  return LoginResult::accept_account(account.name, account.created_unix_ms, account.is_operator);
}

void AccountAuthenticator::guest(const LoginRequest& request, Done done) {
  if (mode_ == ServerOptions::Accounts::required) {
    return done(LoginResult::refuse(ReplyError::password_required));
  }
  const bool posted = lookups_.post([this, name = std::string(request.name), done] {
    bool registered = false;
    try {
      registered = store_->find(name).has_value();
    } catch (const std::exception&) {
      return done(LoginResult::refuse(ReplyError::storage_failed));
    }
    done(registered ? LoginResult::refuse(ReplyError::password_required) : LoginResult::accept());
  });
  if (!posted) done(LoginResult::refuse(ReplyError::server_busy));
}

void AccountAuthenticator::log_in_with_password(const LoginRequest& request, Done done) {
  if (plaintext_refused(request.encrypted, request.remote)) {
    return done(LoginResult::refuse(ReplyError::tls_required));
  }
  std::string address(address_of(request.remote));
  if (!throttle_.allowed(address, request.name, LoginThrottle::Clock::now())) {
    return done(LoginResult::refuse(ReplyError::login_throttled));
  }
  const bool posted =
      hashing_.post([this, address = std::move(address), name = std::string(request.name),
                     password = std::string(request.password), done] {
        std::optional<Account> account;
        try {
          account = store_->find(name);
        } catch (const std::exception&) {
          return done(LoginResult::refuse(ReplyError::storage_failed));
        }
        // An unknown name costs a hash too: the reply's timing tells nothing.
        const bool match = account && password.size() <= max_password_bytes
                               ? verify_password(account->password_hash, password)
                               : verify_nothing(password, cost_);
        if (!match) {
          throttle_.failed(address, name, LoginThrottle::Clock::now());
          return done(LoginResult::refuse(ReplyError::bad_credentials));
        }
        throttle_.succeeded(address, name);
        if (needs_rehash(account->password_hash, cost_)) {  // the cost has changed since
          try {
            if (auto fresh = hash_password(password, cost_)) {
              store_->set_password_hash(account->name, *fresh, false);
            }
          } catch (const std::exception&) {  // the old hash still works: next time, then
          }
        }
        done(accepted(*account));
      });
  if (!posted) done(LoginResult::refuse(ReplyError::server_busy));
}

void AccountAuthenticator::register_account(const LoginRequest& request, Done done) {
  if (!registration_open_) return done(LoginResult::refuse(ReplyError::registration_closed));
  if (plaintext_refused(request.encrypted, request.remote)) {
    return done(LoginResult::refuse(ReplyError::tls_required));
  }
  if (auto unfit = unfit_password(request.password)) return done(LoginResult::refuse(*unfit));
  const bool posted = hashing_.post([this, name = std::string(request.name),
                                     password = std::string(request.password), done] {
    try {
      if (store_->find(name)) return done(LoginResult::refuse(ReplyError::username_registered));
      auto hash = hash_password(password, cost_);
      if (!hash) return done(LoginResult::refuse(ReplyError::server_busy));
      const auto now =
          duration_cast<std::chrono::milliseconds>(SystemClock::now().time_since_epoch()).count();
      Account account{.name = name, .password_hash = *hash, .created_unix_ms = now};
      if (!store_->create(account)) {
        return done(LoginResult::refuse(ReplyError::username_registered));
      }
      done(accepted(account));
    } catch (const std::exception&) {
      done(LoginResult::refuse(ReplyError::storage_failed));
    }
  });
  if (!posted) done(LoginResult::refuse(ReplyError::server_busy));
}

void AccountAuthenticator::log_in_with_token(const LoginRequest& request, Done done) {
  std::string address(address_of(request.remote));
  const auto now = LoginThrottle::Clock::now();
  if (!throttle_.allowed(address, {}, now)) {
    return done(LoginResult::refuse(ReplyError::login_throttled));
  }
  if (jwt_ && JwtVerifier::looks_like_jwt(request.token)) {
    return log_in_with_jwt(request.token, std::move(address), std::move(done));
  }
  // The signature is checked here, at once (a MAC is cheap); only a good one costs a
  // store read, on the lookup thread.
  auto claims = request.token.size() <= max_token_bytes
                    ? tokens_.verify(request.token, SystemClock::now())
                    : std::nullopt;
  if (!claims) {
    throttle_.failed(address, {}, now);
    return done(LoginResult::refuse(ReplyError::bad_token));
  }
  const bool posted =
      lookups_.post([this, address = std::move(address), claims = std::move(*claims), done] {
        std::optional<Account> account;
        try {
          account = store_->find(claims.account);
        } catch (const std::exception&) {
          return done(LoginResult::refuse(ReplyError::storage_failed));
        }
        // Removed, or revoked (PASSWD, an operator) since it was minted.
        if (!account || account->token_generation != claims.generation) {
          throttle_.failed(address, claims.account, LoginThrottle::Clock::now());
          return done(LoginResult::refuse(ReplyError::bad_token));
        }
        done(accepted(*account));
      });
  if (!posted) done(LoginResult::refuse(ReplyError::server_busy));
}

// A token the host minted: it vouches for `sub`, which logs in to its account if one
// has the name, else as a guest (even when accounts are required).
void AccountAuthenticator::log_in_with_jwt(std::string_view token, std::string address, Done done) {
  auto name = jwt_->verify(token, SystemClock::now());
  if (!name) {
    throttle_.failed(address, {}, LoginThrottle::Clock::now());
    return done(LoginResult::refuse(ReplyError::bad_token));
  }
  const bool posted = lookups_.post([this, name = std::move(*name), done] {
    std::optional<Account> account;
    try {
      account = store_->find(name);
    } catch (const std::exception&) {
      return done(LoginResult::refuse(ReplyError::storage_failed));
    }
    done(account ? accepted(*account) : LoginResult::accept(name));
  });
  if (!posted) done(LoginResult::refuse(ReplyError::server_busy));
}

void AccountAuthenticator::issue_token(const AccountRequest& request, AccountDone done) {
  const bool posted = lookups_.post([this, name = std::string(request.account), done] {
    try {
      auto account = store_->find(name);
      if (!account) return done({.error = ReplyError::not_registered});
      done({.token = tokens_.mint(account->name, account->token_generation, token_lifetime_,
                                  SystemClock::now())});
    } catch (const std::exception&) {
      done({.error = ReplyError::storage_failed});
    }
  });
  if (!posted) done({.error = ReplyError::server_busy});
}

// OPER: the password of an operator's account, checked like a LOGIN's (the same
// timing for an unknown name, the same throttling), makes the asker an operator.
void AccountAuthenticator::become_operator(const AccountRequest& request, AccountDone done) {
  if (plaintext_refused(request.encrypted, request.remote)) {
    return done({.error = ReplyError::tls_required});
  }
  std::string address(address_of(request.remote));
  if (!throttle_.allowed(address, request.account, LoginThrottle::Clock::now())) {
    return done({.error = ReplyError::login_throttled});
  }
  const bool posted = hashing_.post([this, address = std::move(address),
                                     name = std::string(request.account),
                                     password = std::string(request.password), done] {
    std::optional<Account> account;
    try {
      account = store_->find(name);
    } catch (const std::exception&) {
      return done({.error = ReplyError::storage_failed});
    }
    const bool match = account && password.size() <= max_password_bytes
                           ? verify_password(account->password_hash, password)
                           : verify_nothing(password, cost_);
    if (!match) {
      throttle_.failed(address, name, LoginThrottle::Clock::now());
      return done({.error = ReplyError::bad_credentials});
    }
    throttle_.succeeded(address, name);
    done(account->is_operator ? AccountResult{} : AccountResult{.error = ReplyError::not_operator});
  });
  if (!posted) done({.error = ReplyError::server_busy});
}

void AccountAuthenticator::change_password(const AccountRequest& request, AccountDone done) {
  if (plaintext_refused(request.encrypted, request.remote)) {
    return done({.error = ReplyError::tls_required});
  }
  if (auto unfit = unfit_password(request.new_password)) return done({.error = *unfit});
  std::string address(address_of(request.remote));
  if (!throttle_.allowed(address, request.account, LoginThrottle::Clock::now())) {
    return done({.error = ReplyError::login_throttled});
  }
  const bool posted =
      hashing_.post([this, address = std::move(address), name = std::string(request.account),
                     old_password = std::string(request.password),
                     new_password = std::string(request.new_password), done] {
        try {
          auto account = store_->find(name);
          if (!account) return done({.error = ReplyError::not_registered});
          if (old_password.size() > max_password_bytes ||
              !verify_password(account->password_hash, old_password)) {
            throttle_.failed(address, name, LoginThrottle::Clock::now());
            return done({.error = ReplyError::bad_credentials});
          }
          auto hash = hash_password(new_password, cost_);
          if (!hash) return done({.error = ReplyError::server_busy});
          // Every token minted so far stops working: whoever had the old password may
          // have taken one.
          if (!store_->set_password_hash(account->name, *hash, true)) {
            return done({.error = ReplyError::not_registered});
          }
          done({});
        } catch (const std::exception&) {
          done({.error = ReplyError::storage_failed});
        }
      });
  if (!posted) done({.error = ReplyError::server_busy});
}

}  // namespace socketchat::detail
