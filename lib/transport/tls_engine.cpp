#include "transport/tls_engine.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <asio/error.hpp>
#include <asio/ssl/error.hpp>

namespace socketchat::detail {

namespace {

// The records OpenSSL has made on this thread and not yet sent (see TlsEngine).
std::string& output() noexcept {
  thread_local std::string bytes;
  return bytes;
}

int socket_of(BIO* bio) noexcept {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
}

// The BIO under each connection: reads from its socket without blocking, writes to
// the per-thread output (always all of it), so OpenSSL never waits to write and the
// engine chooses how records meet the socket.
int bio_read(BIO* bio, char* into, int size) {
  BIO_clear_retry_flags(bio);
  for (;;) {
    ssize_t n = ::recv(socket_of(bio), into, static_cast<std::size_t>(size), MSG_DONTWAIT);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(bio);
    return -1;
  }
}

int bio_write(BIO* bio, const char* bytes, int size) {
  BIO_clear_retry_flags(bio);
  output().append(bytes, static_cast<std::size_t>(size));
  return size;
}

long bio_ctrl(BIO* /*bio*/, int command, long /*number*/, void* /*pointer*/) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* socket_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "socketchat");
    BIO_meth_set_read(made, bio_read);
    BIO_meth_set_write(made, bio_write);
    BIO_meth_set_ctrl(made, bio_ctrl);
    BIO_meth_set_create(made, bio_create);
    return made;
  }();
  return method;
}

std::error_code ssl_error(unsigned long code) {
  ERR_clear_error();  // the rest of this thread's queue belongs to this failure too
  return {static_cast<int>(code), asio::error::get_ssl_category()};
}

}  // namespace

void TlsEngine::SslFree::operator()(SSL* ssl) const noexcept {
  SSL_free(ssl);
}

TlsEngine::TlsEngine(SSL_CTX* context, int fd) : ssl_(SSL_new(context)), fd_(fd) {
  if (!ssl_) throw std::system_error(ssl_error(ERR_get_error()), "TLS connection");
  BIO* bio = BIO_new(socket_method());
  if (!bio) throw std::system_error(ssl_error(ERR_get_error()), "TLS connection");
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));
  SSL_set_bio(ssl_.get(), bio, bio);
  SSL_set_accept_state(ssl_.get());
  // During the handshake OpenSSL reads a record at a time, so that it has read nothing
  // past the client's Finished when Tls13Records takes over.
  SSL_set_read_ahead(ssl_.get(), 0);
  handshake_ = Tls13Records::watch(ssl_.get());
  // A client that just closes has ended its input, as over TCP (OpenSSL 3 would call
  // it an error without its close_notify).
  SSL_set_options(ssl_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
}

TlsEngine::TlsEngine(TlsEngine&&) noexcept = default;
TlsEngine& TlsEngine::operator=(TlsEngine&&) noexcept = default;
TlsEngine::~TlsEngine() = default;

std::error_code TlsEngine::failure(int result, int error) {
  failed_ = true;
  if (error == SSL_ERROR_SYSCALL) {
    unsigned long code = ERR_get_error();
    if (code != 0) return ssl_error(code);
    if (result == 0 || errno == 0) return asio::error::eof;
    return {errno, std::system_category()};
  }
  if (error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  unsigned long code = ERR_get_error();
  return code != 0 ? ssl_error(code) : std::error_code(asio::error::connection_aborted);
}

void TlsEngine::established() {
  records_ = Tls13Records::take_over(ssl_.get(), *handshake_);
  handshake_.reset();
  if (records_) {
    ssl_.reset();
  } else {
    // OpenSSL keeps the records (TLS 1.2): whole reads, a record in one recv, not its
    // header and then its body.
    SSL_set_read_ahead(ssl_.get(), 1);
  }
}

TlsEngine::Wait TlsEngine::handshake(std::error_code& ec) {
  if (!ssl_ || SSL_is_init_finished(ssl_.get()) == 1) {
    // Done, with records the socket did not take: they are all that is left.
    if (send(ec) || ec) return Wait::none;
    return Wait::write;
  }
  ERR_clear_error();
  int result = SSL_do_handshake(ssl_.get());
  int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), result);
  if (error != SSL_ERROR_NONE && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
    ec = failure(result, error);
  }
  if (result == 1) established();
  std::error_code send_error;
  send(send_error);  // the server's flight, or the alert that ends the handshake
  if (ec) return Wait::none;
  if (send_error) {
    ec = send_error;
    return Wait::none;
  }
  // While it waits for the client, a handshake keeps no record buffers either (32 KiB,
  // for each of the thousands that may be in flight at once).
  release_buffers();
  if (error == SSL_ERROR_WANT_READ) return Wait::read;
  if (error == SSL_ERROR_WANT_WRITE || has_unsent()) return Wait::write;
  return Wait::none;
}

std::size_t TlsEngine::read_records(std::span<char> into, Wait& wait, std::error_code& ec) {
  std::size_t n = 0;
  Tls13Records::Status status;
  std::error_code send_error;
  do {
    status = records_->read(fd_, into, n, output(), ec);
    send(send_error);  // the answers to the client's key updates
    // A key update answered and sent, the records after it: not a wait for the socket.
  } while (status == Tls13Records::Status::ok && n == 0 && !send_error && !has_unsent() &&
           has_pending());
  switch (status) {
    case Tls13Records::Status::ok:
      if (n == 0) wait = Wait::read;
      break;
    case Tls13Records::Status::more:
      wait = Wait::read;
      break;
    case Tls13Records::Status::closed:
      ec = asio::error::eof;
      return 0;
    case Tls13Records::Status::failed:
      failed_ = true;
      if (!ec) ec = asio::error::connection_aborted;
      return 0;
  }
  return after_read(n, send_error, wait, ec);
}

std::size_t TlsEngine::after_read(std::size_t n, const std::error_code& send_error, Wait& wait,
                                  std::error_code& ec) const {
  if (send_error) {
    ec = send_error;
    wait = Wait::none;
    return 0;
  }
  if (n == 0 && wait == Wait::read && has_unsent()) wait = Wait::write;  // its answer first
  return n;
}

std::size_t TlsEngine::read(std::span<char> into, Wait& wait, std::error_code& ec) {
  wait = Wait::none;
  if (records_) return read_records(into, wait, ec);
  ERR_clear_error();
  std::size_t n = 0;
  int result = SSL_read_ex(ssl_.get(), into.data(), into.size(), &n);
  int error = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_.get(), result);
  std::error_code send_error;
  send(send_error);  // what reading made OpenSSL answer (a TLS 1.3 key update)
  switch (error) {
    case SSL_ERROR_NONE:
      break;
    case SSL_ERROR_WANT_READ:
      wait = Wait::read;
      break;
    case SSL_ERROR_WANT_WRITE:
      wait = Wait::write;
      break;
    default:
      ec = failure(result, error);
      return 0;
  }
  n = after_read(n, send_error, wait, ec);
  if (!ec && !has_pending()) release_buffers();
  return n;
}

bool TlsEngine::has_pending() const noexcept {
  if (records_) return records_->has_pending();
  return SSL_has_pending(ssl_.get()) == 1;
}

std::error_code TlsEngine::encrypt(std::string_view plaintext) {
  if (records_) {
    if (records_->seal(plaintext, output())) return {};
    failed_ = true;
    return asio::error::connection_aborted;
  }
  ERR_clear_error();
  std::size_t written = 0;
  int result = SSL_write_ex(ssl_.get(), plaintext.data(), plaintext.size(), &written);
  if (result != 1) return failure(result, SSL_get_error(ssl_.get(), result));
  return {};
}

std::size_t TlsEngine::encrypted_bytes() noexcept {
  return output().size();
}

std::size_t TlsEngine::sent_from(std::string_view bytes, std::error_code& ec) const {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    // MSG_NOSIGNAL: a peer gone away is an error code, not a SIGPIPE for the process.
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec.assign(errno, std::system_category());
    break;
  }
  return sent;
}

bool TlsEngine::send(std::error_code& ec) {
  std::string& fresh = output();
  if (unsent_.empty()) {
    // The usual case: straight from the per-thread buffer; only a rest is copied.
    std::size_t sent = sent_from(fresh, ec);
    if (sent < fresh.size() && !ec) unsent_.assign(fresh, sent);
  } else {
    unsent_ += fresh;
    std::size_t sent = sent_from(unsent_, ec);
    unsent_.erase(0, sent);
    if (unsent_.empty()) std::string().swap(unsent_);
  }
  fresh.clear();
  if (ec) unsent_.clear();
  return unsent_.empty() && !ec;
}

void TlsEngine::release_buffers() noexcept {
  if (ssl_) (void)SSL_free_buffers(ssl_.get());
}

void TlsEngine::close_notify() noexcept {
  output().clear();
  if (failed_ || (!records_ && SSL_is_init_finished(ssl_.get()) != 1)) return;
  std::error_code ignored;
  if (!send(ignored)) return;  // a record half sent: a close_notify now would garble it
  if (records_) {
    if (records_->seal_close_notify(output())) send(ignored);
    output().clear();
    return;
  }
  ERR_clear_error();
  (void)SSL_shutdown(ssl_.get());  // sends ours; the client's is not waited for
  send(ignored);
  ERR_clear_error();
}

void TlsEngine::forget_socket() noexcept {
  fd_ = -1;
  if (ssl_) BIO_set_data(SSL_get_rbio(ssl_.get()), reinterpret_cast<void*>(std::intptr_t{-1}));
  std::string().swap(unsent_);
}

}  // namespace socketchat::detail
