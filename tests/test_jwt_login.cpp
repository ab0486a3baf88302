// TOKEN with a JWT the host minted, over real sockets (PROTOCOL.md, Accounts): its sub
// logs in, to the account of that name if there is one, else as a guest; a forged,
// expired or unsigned one is a bad token, and counts as a failed login.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include <socketchat/server.hpp>

#include "support/jwt_mint.hpp"
#include "support/line_client.hpp"
#include "support/running_server.hpp"

using namespace socketchat;
using namespace socketchat::test;

namespace {

const std::string secret = "the-backend-and-the-chat-server-share-this";

ServerOptions jwt_options(ServerOptions::Accounts mode = ServerOptions::Accounts::optional) {
  ServerOptions options = loopback_options();
  options.accounts = mode;
  options.password_hash_passes = 1;  // cheap: the tests are about what clients see
  options.password_hash_memory_kib = 64;
  options.jwt_algorithm = "HS256";
  options.jwt_secret = secret;
  return options;
}

long unix_now() {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count());
}

// What the host's backend does: an HS256 JWT for `sub`, valid for `lifetime` seconds.
std::string mint(const std::string& sub, long lifetime = 300, const std::string& key = secret) {
  return mint_jwt(JWT_ALG_HS256, key,
                  R"({"sub":")" + sub + R"(","iat":)" + std::to_string(unix_now()) + R"(,"exp":)" +
                      std::to_string(unix_now() + lifetime) + "}");
}

}  // namespace

TEST_CASE("a JWT logs in as its sub: a guest name, or the account of that name") {
  RunningServer s(jwt_options());
  LineClient guest(s.port);
  guest.send("TOKEN " + mint("alice") + "\n");
  guest.expect_line("OK alice");
  guest.send("TOKEN\n");  // a guest has no account to ask a session token for
  guest.expect_line("ERR not-registered");

  {
    LineClient owner(s.port);
    owner.send("REGISTER Bob bob-password\n");
    owner.expect_line("OK");
    owner.send("QUIT\n");
    owner.expect_eof();  // closed once it has left: the account is free again
  }
  LineClient bob(s.port);
  bob.send("TOKEN " + mint("bob") + "\n");
  bob.expect_line("OK Bob");  // the account, spelled as registered
  bob.send("TOKEN\n");        // an account's owner: a session token of its own
  auto line = bob.read_line();
  REQUIRE(line);
  CHECK(line->rfind("TOKEN v1.", 0) == 0);
  const std::string session_token = line->substr(6);

  // The account is online on one connection only, whoever vouches for it.
  LineClient twice(s.port);
  twice.send("TOKEN " + mint("Bob") + "\n");
  twice.expect_line("ERR username-taken");
  // Session tokens work as before, beside JWTs.
  bob.send("QUIT\n");
  bob.expect_eof();
  LineClient back(s.port);
  back.send("TOKEN " + session_token + "\n");
  back.expect_line("OK Bob");
}

TEST_CASE("an account logged in with a JWT reads its DM history of earlier sessions") {
  RunningServer s(jwt_options());
  {
    LineClient bob(s.port);
    bob.send("REGISTER bob bob-password\n");
    bob.expect_line("OK");
    auto alice = logged_in(s.port, "alice");
    alice.send("DM bob hello bob\n");
    bob.expect_line("DM alice hello bob");
  }
  LineClient bob(s.port);
  bob.send("TOKEN " + mint("bob") + "\nHISTORY @alice\n");
  bob.expect_line("OK bob");
  auto line = bob.read_line();
  REQUIRE(line);
  CHECK(line->rfind("HIST @alice ", 0) == 0);
  CHECK(line->find(" alice hello bob") != std::string::npos);
  bob.expect_line("END");
}

TEST_CASE("a forged, expired or unsigned JWT is a bad token") {
  RunningServer s(jwt_options());
  LineClient client(s.port);
  const std::string good = mint("alice");
  const std::string forged[] = {
      mint("alice", 300, secret + "-but-not-quite"),      // another key
      mint("alice", -1),                                  // expired
      good.substr(0, good.rfind('.') + 1),                // no signature
      base64url(R"({"alg":"none","typ":"JWT"})") + "." +  // alg none
          base64url(R"({"sub":"alice","exp":)" + std::to_string(unix_now() + 300) + "}") + ".",
      mint("not a name"),
  };
  for (const auto& token : forged) {
    CAPTURE(token);
    client.send("TOKEN " + token + "\n");
    client.expect_line("ERR bad-token");
  }
  client.send("TOKEN " + good + "\n");
  client.expect_line("OK alice");
}

TEST_CASE("the host vouches: a JWT logs a guest in even when accounts are required") {
  RunningServer s(jwt_options(ServerOptions::Accounts::required));
  LineClient client(s.port);
  client.send("LOGIN carol\n");
  client.expect_line("ERR password-required");
  client.send("TOKEN " + mint("carol") + "\n");
  client.expect_line("OK carol");
}

TEST_CASE("a bad JWT counts as a failed login from its address") {
  ServerOptions options = jwt_options();
  options.login_failures_per_address = 2;
  RunningServer s(options);
  LineClient mallory(s.port);
  const std::string forged = mint("alice", 300, secret + "-guessed");
  mallory.send("TOKEN " + forged + "\nTOKEN " + forged + "\n");
  mallory.expect_line("ERR bad-token");
  mallory.expect_line("ERR bad-token");
  mallory.send("TOKEN " + mint("alice") + "\n");  // right, but too late
  mallory.expect_line("ERR login-throttled");
}

TEST_CASE("with JWTs off, a JWT is no token at all") {
  ServerOptions options = jwt_options();
  options.jwt_algorithm.clear();
  RunningServer s(options);
  LineClient client(s.port);
  client.send("TOKEN " + mint("alice") + "\n");
  client.expect_line("ERR bad-token");
}
