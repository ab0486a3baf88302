#include "transport/tls13_records.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

namespace socketchat::detail {

// A cipher suite of TLS 1.3 (RFC 8446, B.4): its AEAD and its hash.
struct Tls13Records::Suite {
  std::uint16_t id;
  const char* cipher;  // OpenSSL's name
  const char* digest;
  std::size_t key_size;
  std::size_t hash_size;  // of the traffic secrets
};

Tls13Records::Handshake::~Handshake() {
  OPENSSL_cleanse(client_secret.data(), client_secret.size());
  OPENSSL_cleanse(server_secret.data(), server_secret.size());
}

namespace {

using Suite = Tls13Records::Suite;
using Direction = Tls13Records::Direction;

// The suites OpenSSL offers by default.
constexpr Suite suites[] = {
    {0x1301, "AES-128-GCM", "SHA256", 16, 32},
    {0x1302, "AES-256-GCM", "SHA384", 32, 48},
    {0x1303, "ChaCha20-Poly1305", "SHA256", 32, 32},
};

constexpr unsigned char application_data = 23;
constexpr unsigned char alert_type = 21;
constexpr unsigned char handshake_type = 22;
constexpr unsigned char key_update = 24;
// Alert descriptions (RFC 8446, 6): what a fatal alert tells the client before the end.
constexpr unsigned char unexpected_message = 10;
constexpr unsigned char bad_record_mac = 20;
constexpr unsigned char record_overflow = 22;
constexpr unsigned char decode_error = 50;
constexpr unsigned char internal_error = 80;
constexpr std::size_t header_size = 5;
constexpr std::size_t tag_size = 16;
// RFC 8446, 5.2: at most 2^14 bytes of content, plus its type; 256 more of ciphertext.
constexpr std::size_t max_inner = Tls13Records::max_plaintext + 1;
constexpr std::size_t max_ciphertext = Tls13Records::max_plaintext + 256;

// Fetched once: an implicit fetch per record would look the algorithm up each time.
const EVP_CIPHER* cipher_of(const Suite& suite) {
  static EVP_CIPHER* fetched[std::size(suites)] = {
      EVP_CIPHER_fetch(nullptr, suites[0].cipher, nullptr),
      EVP_CIPHER_fetch(nullptr, suites[1].cipher, nullptr),
      EVP_CIPHER_fetch(nullptr, suites[2].cipher, nullptr),
  };
  return fetched[&suite - suites];
}

EVP_KDF* hkdf() {
  static EVP_KDF* fetched = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return fetched;
}

// One AEAD context per thread, keyed for each record.
EVP_CIPHER_CTX* cipher_context() {
  struct Free {
    void operator()(EVP_CIPHER_CTX* context) const noexcept { EVP_CIPHER_CTX_free(context); }
  };
  thread_local std::unique_ptr<EVP_CIPHER_CTX, Free> context(EVP_CIPHER_CTX_new());
  return context.get();
}

// HKDF-Expand-Label(secret, label, "", out.size()) (RFC 8446, 7.1).
bool expand_label(const Suite& suite, std::span<const unsigned char> secret, std::string_view label,
                  std::span<unsigned char> out) {
  constexpr std::string_view prefix = "tls13 ";
  unsigned char info[2 + 1 + 32 + 1];
  std::size_t size = 0;
  info[size++] = static_cast<unsigned char>(out.size() >> 8);
  info[size++] = static_cast<unsigned char>(out.size());
  info[size++] = static_cast<unsigned char>(prefix.size() + label.size());
  std::memcpy(info + size, prefix.data(), prefix.size());
  size += prefix.size();
  std::memcpy(info + size, label.data(), label.size());
  size += label.size();
  info[size++] = 0;  // no context

  EVP_KDF* kdf = hkdf();
  if (!kdf) return false;
  EVP_KDF_CTX* context = EVP_KDF_CTX_new(kdf);
  if (!context) return false;
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(suite.digest), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<unsigned char*>(secret.data()), secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, size),
      OSSL_PARAM_construct_end(),
  };
  bool ok = EVP_KDF_derive(context, out.data(), out.size(), params) == 1;
  EVP_KDF_CTX_free(context);
  return ok;
}

// The key and IV of a traffic secret (RFC 8446, 7.3), from sequence number 0.
bool derive(const Suite& suite, Direction& direction) {
  std::span<const unsigned char> secret(direction.secret.data(), suite.hash_size);
  direction.sequence = 0;
  return expand_label(suite, secret, "key", std::span(direction.key.data(), suite.key_size)) &&
         expand_label(suite, secret, "iv", direction.iv);
}

// The next traffic secret, after a KeyUpdate (RFC 8446, 7.2).
bool update(const Suite& suite, Direction& direction) {
  std::array<unsigned char, 48> next{};
  bool ok = expand_label(suite, std::span(direction.secret.data(), suite.hash_size), "traffic upd",
                         std::span(next.data(), suite.hash_size));
  direction.secret = next;
  OPENSSL_cleanse(next.data(), next.size());
  return ok && derive(suite, direction);
}

// The per-record nonce: the IV with the sequence number XORed into its end (5.3).
std::array<unsigned char, 12> nonce_of(const Direction& direction) {
  std::array<unsigned char, 12> nonce = direction.iv;
  for (int i = 0; i < 8; ++i) {
    nonce[11 - i] ^= static_cast<unsigned char>(direction.sequence >> (8 * i));
  }
  return nonce;
}

// The hex of a secret (no separators) into `out`; false, and size 0, if it is not that.
bool secret_from_hex(const char* hex, std::span<unsigned char> out, std::size_t& size) {
  if (OPENSSL_hexstr2buf_ex(out.data(), out.size(), &size, hex, '\0') == 1) return true;
  size = 0;
  return false;
}

int handshake_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL tells each secret as a line of the NSS key log format:
// "<label> <client random, hex> <secret, hex>". Only the application traffic
// secrets are kept, and only in the connection's Handshake, never anywhere else.
void on_keylog(const SSL* ssl, const char* text) {
  auto* handshake = static_cast<Tls13Records::Handshake*>(SSL_get_ex_data(ssl, handshake_index()));
  if (!handshake) return;
  std::string_view line(text);
  std::size_t first = line.find(' ');
  std::size_t second = line.find(' ', first == std::string_view::npos ? first : first + 1);
  if (second == std::string_view::npos) return;
  std::string_view label = line.substr(0, first);
  const char* secret = text + second + 1;  // to the end of the line
  if (label == "CLIENT_TRAFFIC_SECRET_0") {
    secret_from_hex(secret, handshake->client_secret, handshake->client_secret_size);
  } else if (label == "SERVER_TRAFFIC_SECRET_0") {
    secret_from_hex(secret, handshake->server_secret, handshake->server_secret_size);
  }
}

// Counts the records each side sends after its Finished (see Handshake).
void on_message(int write_p, int /*version*/, int content_type, const void* bytes, std::size_t size,
                SSL* /*ssl*/, void* arg) {
  auto& watched = *static_cast<Tls13Records::Handshake*>(arg);
  if (content_type == SSL3_RT_HEADER) {
    if (write_p && watched.server_finished) ++watched.written_after;
    if (!write_p && watched.client_finished) ++watched.read_after;
  } else if (content_type == SSL3_RT_HANDSHAKE && size > 0 &&
             static_cast<const unsigned char*>(bytes)[0] == SSL3_MT_FINISHED) {
    (write_p ? watched.server_finished : watched.client_finished) = true;
  }
}

std::size_t record_size(std::span<const unsigned char> bytes) noexcept {
  return header_size + (std::size_t{bytes[3]} << 8 | bytes[4]);
}

bool has_whole_record(std::span<const unsigned char> bytes) noexcept {
  return bytes.size() >= header_size && bytes.size() >= record_size(bytes);
}

std::span<const unsigned char> as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

}  // namespace

void Tls13Records::prepare_context(SSL_CTX* context) {
  SSL_CTX_set_keylog_callback(context, on_keylog);
}

std::unique_ptr<Tls13Records::Handshake> Tls13Records::watch(SSL* ssl) {
  auto watched = std::make_unique<Handshake>();
  SSL_set_ex_data(ssl, handshake_index(), watched.get());
  SSL_set_msg_callback(ssl, on_message);
  SSL_set_msg_callback_arg(ssl, watched.get());
  return watched;
}

std::unique_ptr<Tls13Records> Tls13Records::take_over(SSL* ssl, Handshake& handshake) {
  SSL_set_msg_callback(ssl, nullptr);
  SSL_set_msg_callback_arg(ssl, nullptr);
  SSL_set_ex_data(ssl, handshake_index(), nullptr);
  if (SSL_version(ssl) != TLS1_3_VERSION || SSL_has_pending(ssl) || handshake.read_after != 0 ||
      !handshake.server_finished || !handshake.client_finished) {
    return nullptr;
  }
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (!cipher) return nullptr;
  const std::uint16_t id = SSL_CIPHER_get_protocol_id(cipher);
  const Suite* suite = nullptr;
  for (const Suite& known : suites) {
    if (known.id == id) suite = &known;
  }
  if (!suite || !cipher_of(*suite) || handshake.client_secret_size != suite->hash_size ||
      handshake.server_secret_size != suite->hash_size) {
    return nullptr;
  }
  Direction read, write;
  read.secret = handshake.client_secret;
  write.secret = handshake.server_secret;
  std::unique_ptr<Tls13Records> records;
  if (derive(*suite, read) && derive(*suite, write)) {
    write.sequence = handshake.written_after;  // the session tickets went before
    records.reset(new Tls13Records(*suite, read, write));
  }
  OPENSSL_cleanse(&read, sizeof read);  // no key left behind on the stack
  OPENSSL_cleanse(&write, sizeof write);
  return records;
}

Tls13Records::Tls13Records(const Suite& suite, Direction read, Direction write)
    : suite_(suite), read_(read), write_(write) {
  OPENSSL_cleanse(&read, sizeof read);
  OPENSSL_cleanse(&write, sizeof write);
}

Tls13Records::~Tls13Records() {
  OPENSSL_cleanse(&read_, sizeof read_);
  OPENSSL_cleanse(&write_, sizeof write_);
}

bool Tls13Records::seal(std::string_view plaintext, std::string& out) {
  if (end_ == Status::failed) return false;  // nothing may follow a fatal alert (6.2)
  if (write_.sequence >= key_update_after()) {
    // Not asking for the client's: its key, which it seals far less with, is its own
    // to update.
    const std::size_t start = out.size();
    if (!update_write_key(out)) {
      out.resize(start);
      return false;
    }
  }
  return seal_record(as_bytes(plaintext), application_data, out);
}

bool Tls13Records::update_write_key(std::string& out) {
  const unsigned char ours[] = {key_update, 0, 0, 1, 0};  // update_not_requested
  return seal_record(ours, handshake_type, out) && update(suite_, write_);
}

bool Tls13Records::seal_close_notify(std::string& out) {
  if (end_ == Status::failed) return false;
  const unsigned char close_notify[] = {1, 0};  // warning, close_notify
  return seal_record(close_notify, alert_type, out);
}

bool Tls13Records::seal_record(std::span<const unsigned char> content, unsigned char type,
                               std::string& out) {
  if (content.size() > max_plaintext) return false;
  const std::size_t size = content.size() + 1 + tag_size;
  const unsigned char header[header_size] = {application_data, 3, 3,
                                             static_cast<unsigned char>(size >> 8),
                                             static_cast<unsigned char>(size)};
  const std::size_t start = out.size();
  out.append(reinterpret_cast<const char*>(header), header_size);
  out.resize(start + header_size + size);
  auto* sealed = reinterpret_cast<unsigned char*>(out.data() + start + header_size);

  EVP_CIPHER_CTX* context = cipher_context();
  const auto nonce = nonce_of(write_);
  int n = 0;
  bool ok =
      context &&
      EVP_EncryptInit_ex2(context, cipher_of(suite_), write_.key.data(), nonce.data(), nullptr) ==
          1 &&
      EVP_EncryptUpdate(context, nullptr, &n, header, header_size) == 1 &&
      EVP_EncryptUpdate(context, sealed, &n, content.data(), static_cast<int>(content.size())) == 1;
  std::size_t done = static_cast<std::size_t>(n);
  ok = ok && EVP_EncryptUpdate(context, sealed + done, &n, &type, 1) == 1;
  done += static_cast<std::size_t>(n);
  ok = ok && EVP_EncryptFinal_ex(context, sealed + done, &n) == 1;
  ok = ok &&
       EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, tag_size, sealed + size - tag_size) == 1;
  if (!ok) {
    out.resize(start);
    return false;
  }
  ++write_.sequence;
  return true;
}

bool Tls13Records::has_pending() const noexcept {
  return end_ == Status::ok && has_whole_record(as_bytes(pending_));
}

Tls13Records::Status Tls13Records::read(int fd, std::span<char> into, std::size_t& filled,
                                        std::string& out, std::error_code& ec) {
  filled = 0;
  if (end_ != Status::ok) return end_;
  // What came before and is still to be opened, then what the socket has: gathered in a
  // buffer per thread, so that an idle connection keeps none (only a rest is kept).
  // A record's worth at most per recv, as OpenSSL reads: what one read leaves over waits
  // in the connection while it cannot go on (its answers to key updates not yet sent).
  // Before it, what was left over: less than a record, or else there is no recv.
  constexpr std::size_t read_size = header_size + max_ciphertext;
  thread_local std::array<char, 2 * read_size> buffer;
  std::size_t gathered = 0;
  if (!pending_.empty()) {
    gathered = pending_.copy(buffer.data(), buffer.size());
    std::string().swap(pending_);
  }
  bool ended = false;
  if (!has_whole_record(as_bytes({buffer.data(), gathered}))) {
    ssize_t n;
    do {
      n = ::recv(fd, buffer.data() + gathered, read_size, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n > 0) gathered += static_cast<std::size_t>(n);
    if (n == 0) {
      ended = true;
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      ec.assign(errno, std::system_category());
      return end_ = Status::failed;
    }
  }
  const std::string_view raw(buffer.data(), gathered);

  const std::span<const unsigned char> bytes = as_bytes(raw);
  const std::size_t answers = out.size();
  std::size_t used = 0;
  bool opened = false;
  for (;;) {
    const std::span<const unsigned char> record = bytes.subspan(used);
    if (record.size() < header_size) break;
    const std::size_t size = record_size(record) - header_size;
    // Only application data after the handshake (5.1), and never too long to open (5.2).
    if (record[0] != application_data) {
      end_ = fail(unexpected_message, out);
      break;
    }
    if (size > max_ciphertext || size < 1 + tag_size) {
      end_ = fail(size > max_ciphertext ? record_overflow : bad_record_mac, out);
      break;
    }
    if (record.size() < header_size + size) break;      // the rest is still to come
    if (size - tag_size > into.size() - filled) break;  // no room: the next read opens it
    const Status status = open(record.subspan(0, header_size + size), into, filled, out);
    used += header_size + size;
    opened = true;
    if (status != Status::ok) {
      end_ = status;
      break;
    }
    // An answer to a key update goes out before anything more is read, so that a client
    // that asks for them and never reads cannot pile them up (see TlsLink::read).
    if (out.size() > answers) break;
  }
  // The end of the client's stream (a record cut short included) ends the reading, once
  // the whole records before it are read.
  if (ended && !has_whole_record(bytes.subspan(used)) && end_ == Status::ok) end_ = Status::closed;
  if (end_ == Status::ok && used < raw.size()) pending_.assign(raw.substr(used));
  // What was read before the end goes first; the end comes with the next read.
  if (filled > 0 || (opened && end_ == Status::ok)) return Status::ok;
  if (end_ != Status::ok) return end_;
  return Status::more;
}

Tls13Records::Status Tls13Records::open(std::span<const unsigned char> record, std::span<char> into,
                                        std::size_t& filled, std::string& out) {
  const std::size_t size = record.size() - header_size - tag_size;
  auto* opened = reinterpret_cast<unsigned char*>(into.data() + filled);
  const unsigned char* sealed = record.data() + header_size;
  EVP_CIPHER_CTX* context = cipher_context();
  const auto nonce = nonce_of(read_);
  int n = 0;
  bool ok = context &&
            EVP_DecryptInit_ex2(context, cipher_of(suite_), read_.key.data(), nonce.data(),
                                nullptr) == 1 &&
            EVP_DecryptUpdate(context, nullptr, &n, record.data(), header_size) == 1 &&
            EVP_DecryptUpdate(context, opened, &n, sealed, static_cast<int>(size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, tag_size,
                                const_cast<unsigned char*>(sealed + size)) == 1 &&
            EVP_DecryptFinal_ex(context, opened + n, &n) == 1;
  if (!ok) return fail(bad_record_mac, out);  // not sealed with the client's key
  ++read_.sequence;
  // The content, then its type, then zeros (padding).
  std::size_t end = size;
  while (end > 0 && opened[end - 1] == 0) --end;
  if (end == 0) return fail(unexpected_message, out);
  if (end > max_inner) return fail(record_overflow, out);
  const unsigned char type = opened[end - 1];
  const std::span<const unsigned char> content(opened, end - 1);
  switch (type) {
    case application_data:
      filled += content.size();
      return Status::ok;
    case alert_type:
      if (content.size() == 2 && content[1] == 0) return Status::closed;  // close_notify
      if (content.size() == 2 && content[1] == 90) return Status::ok;     // user_canceled
      return Status::failed;
    case handshake_type:
      return handle_handshake(content, out);
    default:
      return fail(unexpected_message, out);
  }
}

Tls13Records::Status Tls13Records::fail(unsigned char description, std::string& out) {
  const unsigned char alert[] = {2, description};  // fatal
  (void)seal_record(alert, alert_type, out);       // said if it can be: the end either way
  return Status::failed;
}

// After the handshake a client may only send KeyUpdate (4.6.3), alone in its record
// (5.1: a handshake message that changes keys ends its record).
Tls13Records::Status Tls13Records::handle_handshake(std::span<const unsigned char> messages,
                                                    std::string& out) {
  if (messages.empty() || messages[0] != key_update) return fail(unexpected_message, out);
  if (messages.size() != 5 || messages[1] != 0 || messages[2] != 0 || messages[3] != 1 ||
      messages[4] > 1) {
    return fail(decode_error, out);
  }
  const bool requested = messages[4] == 1;
  if (!update(suite_, read_)) return fail(internal_error, out);
  // Ours, under the old key, then the new one for what follows.
  if (requested && !update_write_key(out)) return fail(internal_error, out);
  return Status::ok;
}

}  // namespace socketchat::detail
