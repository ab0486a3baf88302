// The server's AccountAuthenticator on its own: passwords refused on a plain transport
// from outside loopback, and an unknown name costing what a wrong password costs.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <string>

#include <socketchat/memory_account_store.hpp>

#include "accounts/account_authenticator.hpp"
#include "accounts/password_hash.hpp"

using namespace socketchat;
using namespace socketchat::detail;

namespace {

ServerOptions cheap() {
  ServerOptions options;
  options.password_hash_passes = 1;
  options.password_hash_memory_kib = 64;
  return options;
}

LoginResult ask(Authenticator& authenticator, LoginRequest request) {
  std::promise<LoginResult> answer;
  auto result = answer.get_future();
  authenticator.authenticate(request, [&answer](LoginResult r) { answer.set_value(r); });
  REQUIRE(result.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  return result.get();
}

LoginRequest password_login(std::string_view remote, bool encrypted) {
  return {.kind = LoginKind::password,
          .name = "alice",
          .password = "alice-password",
          .remote = remote,
          .transport = "tcp",
          .encrypted = encrypted};
}

}  // namespace

TEST_CASE("a password over a plain transport from outside loopback is not looked at") {
  AccountAuthenticator accounts(cheap());
  // Not an IP address: it could come from anywhere unless its transport says otherwise.
  for (const char* remote :
       {"203.0.113.5:4000", "[2001:db8::1]:4000", "10.0.0.1:1", "/run/chat.sock", "relay:17"}) {
    CAPTURE(remote);
    auto result = ask(accounts, password_login(remote, false));
    CHECK_FALSE(result.accepted);
    CHECK(result.error == ReplyError::tls_required);
    LoginRequest reg = password_login(remote, false);
    reg.kind = LoginKind::register_account;
    CHECK(ask(accounts, reg).error == ReplyError::tls_required);
    // Whatever the transport is called: what counts is what the connection says.
    reg.transport = "tls";
    CHECK(ask(accounts, reg).error == ReplyError::tls_required);
  }
  // Encrypted, or from this machine: looked at (and wrong, there is no alice).
  for (auto [remote, encrypted] : {std::pair{"203.0.113.5:4000", true},
                                   {"[2001:db8::1]:4000", true},
                                   {"127.0.0.1:4000", false},
                                   {"127.1.2.3:4000", false},
                                   {"[::1]:4000", false},
                                   {"[::ffff:127.0.0.1]:4000", false},
                                   {"/run/chat.sock", true}}) {
    CAPTURE(remote);
    CAPTURE(encrypted);
    CHECK(ask(accounts, password_login(remote, encrypted)).error == ReplyError::bad_credentials);
  }
  ServerOptions allowed = cheap();
  allowed.allow_plaintext_passwords = true;
  AccountAuthenticator lenient(allowed);
  CHECK(ask(lenient, password_login("203.0.113.5:4000", false)).error ==
        ReplyError::bad_credentials);

  std::promise<AccountResult> answer;
  auto result = answer.get_future();
  accounts.account({.kind = AccountRequest::Kind::change_password,
                    .account = "alice",
                    .password = "old-password",
                    .new_password = "new-password",
                    .remote = "203.0.113.5:4000",
                    .transport = "tcp"},
                   [&answer](AccountResult r) { answer.set_value(r); });
  REQUIRE(result.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(result.get().error == ReplyError::tls_required);
}

TEST_CASE("an unknown name takes as long as a wrong password (a dummy hash)") {
  ServerOptions options;  // the default cost: the time is the hash's
  auto store = std::make_shared<MemoryAccountStore>();
  options.account_store = store;
  options.login_failures_per_address = 0;
  options.login_failures_per_account = 0;
  auto hash = hash_password("the-right-one", PasswordCost{});
  REQUIRE(hash);
  REQUIRE(store->create({.name = "alice", .password_hash = *hash}));
  AccountAuthenticator accounts(options);
  auto time_of = [&](std::string_view name) {
    LoginRequest request = password_login("127.0.0.1:1", "tcp");
    request.name = name;
    auto start = std::chrono::steady_clock::now();
    CHECK(ask(accounts, request).error == ReplyError::bad_credentials);
    return std::chrono::steady_clock::now() - start;
  };
  // The fastest of five each, taken in turns: a busy spell of the machine falls on both.
  auto wrong = std::chrono::steady_clock::duration::max();
  auto unknown = wrong;
  for (int i = 0; i < 5; ++i) {
    wrong = std::min(wrong, time_of("alice"));
    unknown = std::min(unknown, time_of("nobody"));
  }
  const double wrong_ms = std::chrono::duration<double, std::milli>(wrong).count();
  const double unknown_ms = std::chrono::duration<double, std::milli>(unknown).count();
  CAPTURE(wrong_ms);
  CAPTURE(unknown_ms);
  // Without the dummy hash an unknown name would answer in a thousandth of the time.
  // The fastest of five, and a factor of 4, leave room for a machine busy with other
  // work while it runs.
  CHECK(unknown * 4 > wrong);
  CHECK(wrong * 4 > unknown);
}
