// SessionTokens: minting and verifying, tampering of every kind, key rotation, and the
// key file.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "accounts/session_tokens.hpp"
#include "support/temp_dir.hpp"

using socketchat::detail::SessionTokens;
using socketchat::test::TempDir;
using namespace std::chrono_literals;

namespace {

// A whole second, so that the expiry is exact.
const std::chrono::system_clock::time_point now{std::chrono::seconds(1'750'000'000)};

const std::string zero_key(32, '\0');
const std::string zero_key_base64 = std::string(43, 'A') + "=";   // standard
const std::string ones_key_base64 = std::string(42, '/') + "8=";  // 32 bytes of 0xFF
const std::string ones_key_urlsafe = std::string(42, '_') + "8";  // not accepted

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("a minted token verifies, with its claims") {
  const SessionTokens tokens({SessionTokens::random_key()});
  const auto token = tokens.mint("Alice_1.x", 7, 3600s, now + 500ms);
  CHECK(token.starts_with("v1."));
  CHECK(token.size() <= SessionTokens::max_token_bytes);
  for (char c : token) CHECK((c > ' ' && c < 127));

  const auto claims = tokens.verify(token, now + 1s);
  REQUIRE(claims);
  CHECK(claims->account == "Alice_1.x");
  CHECK(claims->generation == 7);
  CHECK(claims->expires == now + 3600s);  // from `now` rounded down to the second

  CHECK(tokens.mint("Alice_1.x", 7, 3600s, now) != tokens.mint("Alice_1.x", 7, 3600s, now));
  const auto big = tokens.verify(tokens.mint("b", UINT64_MAX, 1s, now), now);
  REQUIRE(big);
  CHECK(big->generation == UINT64_MAX);
}

TEST_CASE("an expired token is refused") {
  const SessionTokens tokens({SessionTokens::random_key()});
  const auto token = tokens.mint("alice", 0, 60s, now);
  CHECK(tokens.verify(token, now + 59s));
  CHECK(tokens.verify(token, now + 59s + 999ms));
  CHECK_FALSE(tokens.verify(token, now + 60s));
  CHECK_FALSE(tokens.verify(token, now + 24h));
}

TEST_CASE("a token with any one byte changed is refused") {
  const SessionTokens tokens({SessionTokens::random_key()});
  const auto token = tokens.mint("alice", 3, 3600s, now);
  REQUIRE(tokens.verify(token, now));
  for (std::size_t i = 0; i < token.size(); ++i) {
    CAPTURE(i);
    auto flipped = token;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
    CHECK_FALSE(tokens.verify(flipped, now));
    for (char other : std::string("AQZagz09-_./=+ \x7f")) {
      if (other == token[i]) continue;
      CAPTURE(other);
      auto replaced = token;
      replaced[i] = other;
      CHECK_FALSE(tokens.verify(replaced, now));
    }
  }
}

TEST_CASE("a truncated token, or one with more after it, is refused") {
  const SessionTokens tokens({SessionTokens::random_key()});
  const auto token = tokens.mint("alice", 3, 3600s, now);
  for (std::size_t size = 0; size < token.size(); ++size) {
    CAPTURE(size);
    CHECK_FALSE(tokens.verify(token.substr(0, size), now));
    CHECK_FALSE(tokens.verify(token.substr(token.size() - size), now));
  }
  for (const std::string junk : {"A", "AA", "AAAA", ".", ".x", "=", " ", "\n", "\t"}) {
    CAPTURE(junk);
    CHECK_FALSE(tokens.verify(token + junk, now));
    CHECK_FALSE(tokens.verify(junk + token, now));
  }
  CHECK_FALSE(tokens.verify(token + std::string(1, '\0'), now));
  CHECK_FALSE(tokens.verify(token + std::string(1000, 'A'), now));
  CHECK_FALSE(tokens.verify(std::string(10'000, '.'), now));
  CHECK_FALSE(tokens.verify("", now));
  CHECK_FALSE(tokens.verify("v1.....", now));
}

TEST_CASE("a token of a key not in the set is refused") {
  const SessionTokens ours({SessionTokens::random_key()});
  const SessionTokens theirs({SessionTokens::random_key()});
  CHECK_FALSE(ours.verify(theirs.mint("alice", 0, 3600s, now), now));
}

TEST_CASE("rotation: the first key signs, the others still verify") {
  const auto old_key = SessionTokens::random_key();
  const auto new_key = SessionTokens::random_key();
  const SessionTokens before({old_key});
  const SessionTokens after({new_key, old_key});
  const auto old_token = before.mint("alice", 1, 3600s, now);
  const auto claims = after.verify(old_token, now);
  REQUIRE(claims);
  CHECK(claims->account == "alice");

  const auto new_token = after.mint("alice", 1, 3600s, now);
  CHECK(after.verify(new_token, now));
  CHECK(SessionTokens({new_key}).verify(new_token, now));
  CHECK_FALSE(before.verify(new_token, now));
  // Once the old key is dropped, its tokens are done.
  CHECK_FALSE(SessionTokens({new_key}).verify(old_token, now));
}

TEST_CASE("minting refuses what no token should say") {
  const SessionTokens tokens({SessionTokens::random_key()});
  for (const char* name :
       {"", "bad name", "-alice", ".alice", "al!ce", "\xc3\xa9t\xc3\xa9", "a.b.c\n"}) {
    CAPTURE(name);
    CHECK_THROWS_AS(tokens.mint(name, 0, 3600s, now), std::invalid_argument);
  }
  CHECK_THROWS_AS(tokens.mint(std::string(33, 'a'), 0, 3600s, now), std::invalid_argument);
  CHECK_NOTHROW(tokens.mint(std::string(32, 'a'), 0, 3600s, now));
  CHECK_THROWS_AS(tokens.mint("alice", 0, 0s, now), std::invalid_argument);
  CHECK_THROWS_AS(tokens.mint("alice", 0, -1s, now), std::invalid_argument);
}

TEST_CASE("keys must be 32 bytes, and there must be one") {
  CHECK_THROWS_AS(SessionTokens({}), std::invalid_argument);
  CHECK_THROWS_AS(SessionTokens({std::string(31, 'k')}), std::invalid_argument);
  CHECK_THROWS_AS(SessionTokens({zero_key, std::string(33, 'k')}), std::invalid_argument);
  CHECK(SessionTokens::random_key().size() == 32);
  CHECK(SessionTokens::random_key() != SessionTokens::random_key());
}

TEST_CASE("the key file is created once, for its owner only, and read back") {
  TempDir dir;
  const auto file = dir.path / "session.keys";
  const auto keys = SessionTokens::load_or_create_keys(file);
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].size() == 32);
  using std::filesystem::perms;
  CHECK((std::filesystem::status(file).permissions() & perms::all) ==
        (perms::owner_read | perms::owner_write));
  CHECK(SessionTokens::load_or_create_keys(file) == keys);

  const SessionTokens tokens(keys);
  const auto token = tokens.mint("alice", 0, 60s, now);
  CHECK(SessionTokens(SessionTokens::load_or_create_keys(file)).verify(token, now));
}

TEST_CASE("the key file: several keys in order, comments, blank lines") {
  TempDir dir;
  const auto file = dir.path / "session.keys";
  write_file(file, "# rotated on Monday\n" + ones_key_base64 + "\r\n\n  " + zero_key_base64 +
                       "  \n" + std::string(43, 'A') + "\n");  // without its '='
  const auto keys = SessionTokens::load_or_create_keys(file);
  REQUIRE(keys.size() == 3);
  CHECK(keys[0] == std::string(32, '\xff'));
  CHECK(keys[1] == zero_key);
  CHECK(keys[2] == zero_key);
}

TEST_CASE("a key file that cannot be used is refused, naming the line") {
  TempDir dir;
  const auto file = dir.path / "session.keys";
  const auto refused = [&](const std::string& text) {
    write_file(file, text);
    CHECK_THROWS_AS(SessionTokens::load_or_create_keys(file), std::runtime_error);
  };
  refused(zero_key_base64 + "\nnot a key!\n");
  refused(zero_key_base64 + "\n" + std::string(42, 'A') + "==\n");  // 31 bytes
  refused(std::string(44, 'A') + "\n");                             // 33 bytes
  refused(ones_key_urlsafe + "\n");                                 // URL-safe alphabet
  refused("");
  refused("# only a comment\n\n");
  refused(std::string(100'000, 'A'));

  write_file(file, zero_key_base64 + "\nnot a key!\n");
  try {
    SessionTokens::load_or_create_keys(file);
    FAIL("no exception");
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    CHECK(message.find("session.keys") != std::string::npos);
    CHECK(message.find("line 2") != std::string::npos);
  }

  CHECK_THROWS_AS(SessionTokens::load_or_create_keys(dir.path), std::runtime_error);  // a dir
  CHECK_THROWS_AS(SessionTokens::load_or_create_keys(dir.path / "no-such-dir" / "keys"),
                  std::runtime_error);
}
