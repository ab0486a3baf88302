#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace socketchat::detail {

// TLS 1.3's record layer (RFC 8446, section 5) for a connection whose handshake OpenSSL
// has done: what kernel TLS does, in the server. OpenSSL 3.0 keeps about 10 KiB per
// connection after the handshake (its SSL object, the ciphers' contexts); this keeps the
// two directions' secrets, keys and sequence numbers (about 250 bytes), and OpenSSL's
// connection is freed. The ciphers are OpenSSL's (EVP AEAD, HKDF): only the framing is
// here. docs/ARCHITECTURE.md, "Transports", says why.
//
// Handled after the handshake: application data, the client's KeyUpdate (answered with
// ours when it asks), close_notify and user_canceled; any other record ends the
// connection with a fatal alert saying why (bad_record_mac, unexpected_message...), as
// OpenSSL would.
class Tls13Records {
 public:
  // What the handshake must record for a take-over: set up on the context once
  // (prepare_context), then on each connection before its handshake (watch).
  struct Handshake {
    std::array<unsigned char, 48> client_secret{};  // client_application_traffic_secret_0
    std::array<unsigned char, 48> server_secret{};  // server_application_traffic_secret_0
    std::size_t client_secret_size = 0;
    std::size_t server_secret_size = 0;
    // Records after each side's Finished, under its application traffic keys: the
    // server's session tickets (written), what OpenSSL read of the client's (none, as
    // it reads no further than a record at a time during the handshake).
    bool server_finished = false;
    bool client_finished = false;
    std::uint64_t written_after = 0;
    std::uint64_t read_after = 0;

    Handshake() = default;
    Handshake(const Handshake&) = delete;
    Handshake& operator=(const Handshake&) = delete;
    ~Handshake();  // wipes the secrets
  };
  static void prepare_context(SSL_CTX* context);
  static std::unique_ptr<Handshake> watch(SSL* ssl);

  // After OpenSSL's handshake on `ssl` is done: the record layer that takes over from
  // it, or null when this one cannot (TLS 1.2, a cipher suite not known here, records
  // read or written that it cannot account for): OpenSSL goes on then.
  static std::unique_ptr<Tls13Records> take_over(SSL* ssl, Handshake& handshake);

  Tls13Records(const Tls13Records&) = delete;
  Tls13Records& operator=(const Tls13Records&) = delete;
  ~Tls13Records();

  // Appends one record of application data (at most max_plaintext bytes) to `out`;
  // false if OpenSSL's cipher failed or reading has failed (nothing may follow the
  // fatal alert that said so; nothing appended). Past key_update_after()
  // records under one key, a KeyUpdate goes first and the key changes.
  bool seal(std::string_view plaintext, std::string& out);
  // How many records a write key seals before the server updates it (RFC 8446, 5.5: a
  // key's use is bounded, AES-GCM's to about 2^24.5 full records, so 2^23 leaves a
  // margin whatever the records' size). Tests lower it, before any server starts.
  static std::uint64_t& key_update_after() noexcept {
    static std::uint64_t after = std::uint64_t{1} << 23;
    return after;
  }
  // Appends a close_notify alert to `out`.
  bool seal_close_notify(std::string& out);
  static constexpr std::size_t max_plaintext = 16 * 1024;

  enum class Status {
    ok,      // what was read is in `into` (perhaps nothing: a key update)
    more,    // nothing whole has arrived: wait until readable
    closed,  // the client's close_notify, or the end of its stream
    failed,  // a record that is not TLS 1.3's as agreed, or a socket error
  };
  // Reads from `fd` (without blocking) and decrypts whole records into `into`, as many
  // as fit; `filled` says how many bytes. Answers to the client's key updates go to
  // `out`. Ciphertext left over (a record in part, or whole ones `into` had no room for)
  // is kept, and has_pending() says whether a whole record waits.
  Status read(int fd, std::span<char> into, std::size_t& filled, std::string& out,
              std::error_code& ec);
  bool has_pending() const noexcept;

  struct Suite;
  struct Direction {
    std::array<unsigned char, 48> secret{};  // the traffic secret (SHA-256: its first 32)
    std::array<unsigned char, 32> key{};
    std::array<unsigned char, 12> iv{};
    std::uint64_t sequence = 0;
  };

 private:
  Tls13Records(const Suite& suite, Direction read, Direction write);
  // One record from `record` (header and all) into `into`; how many bytes of
  // application data it gave (`filled` grows by them), or how the reading ends.
  Status open(std::span<const unsigned char> record, std::span<char> into, std::size_t& filled,
              std::string& out);
  Status handle_handshake(std::span<const unsigned char> messages, std::string& out);
  // A record the client should not have sent: a fatal alert saying why (RFC 8446, 6.2)
  // appended to `out`, and the end of reading.
  Status fail(unsigned char description, std::string& out);
  // Our KeyUpdate (not asking for the client's) under the current key, then the next key
  // for what follows.
  bool update_write_key(std::string& out);
  bool seal_record(std::span<const unsigned char> content, unsigned char type, std::string& out);

  const Suite& suite_;
  Direction read_;
  Direction write_;
  std::string pending_;      // ciphertext read and not yet opened
  Status end_ = Status::ok;  // closed or failed: what every read says from then on
};

}  // namespace socketchat::detail
