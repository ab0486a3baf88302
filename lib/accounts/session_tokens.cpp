// HMAC-SHA256 session tokens and their key file (session_tokens.hpp).
#include "accounts/session_tokens.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include "util/text.hpp"

namespace socketchat::detail {
namespace {

constexpr std::string_view version = "v1";
constexpr std::size_t id_bytes = 16;
constexpr int token_base64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
// The key file's, and what `openssl rand -base64 32` writes.
constexpr int key_file_base64 = sodium_base64_VARIANT_ORIGINAL;
constexpr int key_file_base64_unpadded = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
// A key file is a few lines: a larger one is not what it should be.
constexpr std::size_t max_token_key_file_bytes = 64 * 1024;

static_assert(SessionTokens::key_bytes == crypto_auth_hmacsha256_KEYBYTES);

void need_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::string to_base64(const void* bytes, std::size_t size, int variant) {
  std::string text(sodium_base64_ENCODED_LEN(size, variant), '\0');
  sodium_bin2base64(text.data(), text.size(), static_cast<const unsigned char*>(bytes), size,
                    variant);
  text.resize(std::strlen(text.c_str()));  // the encoded length counts the final NUL
  return text;
}

// The bytes of `text`, or nullopt when it is not base64 of at most `max_bytes` bytes.
// libsodium refuses any character outside the alphabet and any non-zero unused bits,
// so that one byte string has one text only.
std::optional<std::string> from_base64(std::string_view text, std::size_t max_bytes, int variant) {
  std::string bytes(max_bytes, '\0');
  std::size_t size = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), nullptr, &size, nullptr, variant) != 0) {
    return std::nullopt;
  }
  bytes.resize(size);
  return bytes;
}

// A decimal number as mint writes it: digits only, no leading zero, no overflow.
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// The last Unix second a system_clock time point can hold.
std::uint64_t max_unix_seconds() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<seconds>(system_clock::time_point::max().time_since_epoch()).count());
}

std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac_of(std::string_view text,
                                                               const std::string& key) {
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256(mac.data(), reinterpret_cast<const unsigned char*>(text.data()),
                         text.size(), reinterpret_cast<const unsigned char*>(key.data()));
  return mac;
}

}  // namespace

SessionTokens::SessionTokens(std::vector<std::string> keys) : keys_(std::move(keys)) {
  need_sodium();
  if (keys_.empty()) throw std::invalid_argument("SessionTokens: no key");
  for (const auto& key : keys_) {
    if (key.size() != key_bytes) {
      throw std::invalid_argument("SessionTokens: a key must be 32 bytes, not " +
                                  std::to_string(key.size()));
    }
  }
}

SessionTokens::~SessionTokens() {
  for (auto& key : keys_) sodium_memzero(key.data(), key.size());
}

std::string SessionTokens::mint(std::string_view account, std::uint64_t generation,
                                std::chrono::seconds lifetime,
                                std::chrono::system_clock::time_point now) const {
  using namespace std::chrono;
  if (!is_valid_name(account)) throw std::invalid_argument("SessionTokens: invalid account name");
  if (lifetime <= seconds::zero()) throw std::invalid_argument("SessionTokens: lifetime <= 0");
  const auto now_s = duration_cast<seconds>(now.time_since_epoch()).count();
  if (now_s < 0 || static_cast<std::uint64_t>(now_s) > max_unix_seconds() ||
      static_cast<std::uint64_t>(lifetime.count()) > max_unix_seconds() - now_s) {
    throw std::invalid_argument("SessionTokens: expiry out of range");
  }
  const auto expires = static_cast<std::uint64_t>(now_s + lifetime.count());

  std::array<unsigned char, id_bytes> id{};
  randombytes_buf(id.data(), id.size());
  std::string token(version);
  token += '.';
  token += to_base64(account.data(), account.size(), token_base64);
  token += '.';
  token += std::to_string(generation);
  token += '.';
  token += std::to_string(expires);
  token += '.';
  token += to_base64(id.data(), id.size(), token_base64);
  const auto mac = mac_of(token, keys_.front());
  token += '.';
  token += to_base64(mac.data(), mac.size(), token_base64);
  return token;
}

std::optional<TokenClaims> SessionTokens::verify(std::string_view token,
                                                 std::chrono::system_clock::time_point now) const {
  if (token.size() > max_token_bytes) return std::nullopt;
  // v1 . account . generation . expires . id . mac
  std::array<std::string_view, 6> fields;
  std::string_view rest = token;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto dot = rest.find('.');
    if ((dot == std::string_view::npos) != (i + 1 == fields.size())) return std::nullopt;
    fields[i] = rest.substr(0, dot);
    if (dot != std::string_view::npos) rest.remove_prefix(dot + 1);
  }
  if (fields[0] != version) return std::nullopt;

  // The MAC first: nothing of an unsigned token is worth parsing.
  const auto signed_part = token.substr(0, token.size() - fields[5].size() - 1);
  const auto mac = from_base64(fields[5], crypto_auth_hmacsha256_BYTES, token_base64);
  if (!mac || mac->size() != crypto_auth_hmacsha256_BYTES) return std::nullopt;
  bool signed_by_a_key = false;
  for (const auto& key : keys_) {
    if (crypto_auth_hmacsha256_verify(reinterpret_cast<const unsigned char*>(mac->data()),
                                      reinterpret_cast<const unsigned char*>(signed_part.data()),
                                      signed_part.size(),
                                      reinterpret_cast<const unsigned char*>(key.data())) == 0) {
      signed_by_a_key = true;
      break;
    }
  }
  if (!signed_by_a_key) return std::nullopt;

  // Signed by us, so well-formed unless a key leaked or the format changed: checked
  // all the same.
  auto account = from_base64(fields[1], 64, token_base64);
  const auto generation = parse_decimal(fields[2]);
  const auto expires = parse_decimal(fields[3]);
  const auto id = from_base64(fields[4], id_bytes, token_base64);
  if (!account || !is_valid_name(*account) || !generation || !expires ||
      *expires > max_unix_seconds() || !id || id->size() != id_bytes) {
    return std::nullopt;
  }
  const std::chrono::system_clock::time_point expiry{
      std::chrono::seconds(static_cast<std::int64_t>(*expires))};
  if (now >= expiry) return std::nullopt;
  return TokenClaims{std::move(*account), *generation, expiry};
}

std::string SessionTokens::random_key() {
  need_sodium();
  std::string key(key_bytes, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

namespace {

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
  throw std::runtime_error("session key file " + file.string() + ": " + what);
}

[[noreturn]] void fail_errno(const std::filesystem::path& file, const std::string& what) {
  fail(file, what + ": " + std::strerror(errno));
}

// Wipes a string that held key material when it goes (best effort: copies made on the
// way, by the OS or by std::string's growth, are beyond reach).
struct Wipe {
  std::string& bytes;
  ~Wipe() { sodium_memzero(bytes.data(), bytes.size()); }
};

// Creates `file` with one fresh key; false if it exists already (made by someone else
// meanwhile, perhaps: then it is read like any other).
bool create_key_file(const std::filesystem::path& file) {
  // O_EXCL with the mode given here: the file is never, even briefly, readable by
  // others (the umask may only take permissions away).
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    fail_errno(file, "cannot create");
  }
  auto key = SessionTokens::random_key();
  const Wipe wipe_key{key};
  auto line = to_base64(key.data(), key.size(), key_file_base64) + "\n";
  const Wipe wipe_line{line};
  std::string_view left = line;
  bool ok = true;
  while (ok && !left.empty()) {
    const auto written = ::write(fd, left.data(), left.size());
    if (written < 0 && errno == EINTR) continue;
    ok = written > 0;
    if (ok) left.remove_prefix(static_cast<std::size_t>(written));
  }
  ok = ok && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ok = (::close(fd) == 0) && ok;
  if (!ok) {
    ::unlink(file.c_str());  // an empty or partial key file would fail every start after
    errno = saved_errno;
    fail_errno(file, "cannot write");
  }
  return true;
}

// The whole file, or nullopt if it does not exist.
std::optional<std::string> read_key_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    fail_errno(file, "cannot open");
  }
  // One buffer, sized beforehand, so that no growth leaves copies of a key behind.
  std::string text(max_token_key_file_bytes + 1, '\0');
  std::size_t size = 0;
  ssize_t got = 0;
  while (size < text.size()) {
    got = ::read(fd, text.data() + size, text.size() - size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    size += static_cast<std::size_t>(got);
  }
  const int saved_errno = errno;
  ::close(fd);
  if (got < 0 || size > max_token_key_file_bytes) {
    const Wipe wipe{text};
    if (got >= 0) fail(file, "larger than a key file should be");
    errno = saved_errno;
    fail_errno(file, "cannot read");
  }
  text.resize(size);
  return text;
}

}  // namespace

std::vector<std::string> SessionTokens::load_or_create_keys(const std::filesystem::path& file) {
  need_sodium();
  std::optional<std::string> text;
  // Twice at most: a file made by another process between our read and our create.
  for (int attempt = 0; attempt < 2 && !text; ++attempt) {
    text = read_key_file(file);
    if (!text && create_key_file(file)) text = read_key_file(file);
  }
  if (!text) fail(file, "cannot open: appeared and vanished again");
  const Wipe wipe_text{*text};

  std::vector<std::string> keys;
  std::string_view rest = *text;
  std::size_t line_number = 0;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    auto line = trim(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line = trim(line.substr(0, line.size() - 1));
    if (line.empty() || line.front() == '#') continue;
    auto key = from_base64(line, key_bytes, key_file_base64);
    if (!key) key = from_base64(line, key_bytes, key_file_base64_unpadded);
    if (!key || key->size() != key_bytes) {
      // The line itself is not shown: it may be most of a key.
      fail(file,
           "line " + std::to_string(line_number) + " is not a 32-byte key in standard base64");
    }
    keys.push_back(std::move(*key));
  }
  if (keys.empty()) fail(file, "holds no key");
  return keys;
}

}  // namespace socketchat::detail
