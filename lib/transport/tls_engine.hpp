#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "transport/tls13_records.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace socketchat::detail {

// OpenSSL over one connected, non-blocking socket, without buffers of its own while
// the connection is idle (TlsLink does the waiting). Asio's SSL stream keeps two 17 KiB
// buffers per connection for its life, and OpenSSL two more; here OpenSSL reads
// straight from the socket, writes go to one buffer per thread and straight on to the
// socket, and OpenSSL's record buffers are given back whenever nothing is in them.
// Only ciphertext the socket did not take waits in the connection (`unsent`).
//
// Once a TLS 1.3 handshake is done, Tls13Records takes over the records and OpenSSL's
// connection is freed: an idle connection keeps its keys and little else.
//
// Every call that may produce TLS records (handshake, read, encrypt, close_notify) puts
// them in that per-thread buffer; send() must follow before the thread turns to another
// connection (handshake and read send themselves).
class TlsEngine {
 public:
  enum class Wait { none, read, write };

  TlsEngine(SSL_CTX* context, int fd);
  TlsEngine(TlsEngine&&) noexcept;
  TlsEngine& operator=(TlsEngine&&) noexcept;
  ~TlsEngine();

  // One step of the server's handshake: Wait::none with no error when it is done;
  // else what to wait for before the next step, or the error that ended it.
  Wait handshake(std::error_code& ec);

  // Decrypts what has arrived into `into`: the bytes, or 0 and what to wait for, or 0
  // and an error (asio::error::eof once the client has ended, with or without its
  // close_notify).
  std::size_t read(std::span<char> into, Wait& wait, std::error_code& ec);
  // Whether bytes read from the socket wait inside OpenSSL: read again without waiting.
  bool has_pending() const noexcept;

  // Encrypts `plaintext` (at most max_record bytes: one TLS record) into the per-thread
  // buffer. Then call send().
  std::error_code encrypt(std::string_view plaintext);
  static constexpr std::size_t max_record = 16 * 1024;
  // How much ciphertext waits in the per-thread buffer: a writer sends once it is this
  // much, so that a few records share one system call.
  static std::size_t encrypted_bytes() noexcept;

  // Sends what was encrypted and not yet sent. True when the socket took it all; false
  // when some is left (wait until writable, then send again) or on an error (ec).
  bool send(std::error_code& ec);
  bool has_unsent() const noexcept { return !unsent_.empty(); }

  // Hands OpenSSL's record buffers back if they hold nothing (while OpenSSL has the
  // records: TLS 1.2): an idle connection keeps only its keys.
  void release_buffers() noexcept;

  // Best effort, never blocks: sends a close_notify if the handshake was done, no
  // error ended the connection and the socket takes it (after anything unsent).
  void close_notify() noexcept;

  // The socket is closed: from now on nothing reads or writes its descriptor, whose
  // number the next accepted connection may already have. A wait that completed before
  // the close may still run its handler after it; what it calls fails as on a closed
  // socket (EBADF) instead of reading another client's bytes or writing to it.
  void forget_socket() noexcept;

 private:
  std::size_t sent_from(std::string_view bytes, std::error_code& ec) const;
  std::error_code failure(int result, int error);
  // The handshake is done: Tls13Records takes over, or OpenSSL goes on.
  void established();
  std::size_t read_records(std::span<char> into, Wait& wait, std::error_code& ec);
  // What every read ends with: an answer the socket refused is the error; with nothing
  // read, the answer goes out before the next wait for input.
  std::size_t after_read(std::size_t n, const std::error_code& send_error, Wait& wait,
                         std::error_code& ec) const;

  struct SslFree {
    void operator()(SSL* ssl) const noexcept;
  };
  // Until the handshake is done; before ssl_, which points to it, so that it goes after.
  std::unique_ptr<Tls13Records::Handshake> handshake_;
  std::unique_ptr<SSL, SslFree> ssl_;  // null once records_ took over
  std::unique_ptr<Tls13Records> records_;
  int fd_;               // -1 once the socket is closed
  std::string unsent_;   // ciphertext the socket has not taken yet
  bool failed_ = false;  // an error ended it: no close_notify (OpenSSL forbids it)
};

}  // namespace socketchat::detail
