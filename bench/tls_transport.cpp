#include "tls_transport.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <climits>
#include <string>

#include <fmt/format.h>

#include "failure.hpp"

namespace bench {

namespace {

// The largest TLS record's plaintext: one SSL_read returns at most this. One buffer
// serves every connection of a thread: the latency scenario's probe runs on a thread
// of its own beside the background fanout's (a buffer for the whole process made
// their texts race: lines lost, duplicated and reordered, over TLS only).
constexpr std::size_t record_bytes = 16 * 1024;
thread_local std::array<char, record_bytes> record;

// The oldest queued OpenSSL error (and the queue emptied), for a message.
std::string openssl_error(std::string_view doing) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return fmt::format("TLS {} failed", doing);
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return fmt::format("TLS {}: {}", doing, text.data());
}

struct SslDeleter {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};

class TlsTransport final : public Transport {
 public:
  explicit TlsTransport(SSL_CTX* context) : ssl_(SSL_new(context)) {
    if (!ssl_) throw Failure(exit_setup, openssl_error("SSL_new"));
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    if (in_ == nullptr || out_ == nullptr) {
      BIO_free(in_);
      BIO_free(out_);
      throw Failure(exit_setup, openssl_error("BIO_new"));
    }
    SSL_set_bio(ssl_.get(), in_, out_);  // the SSL owns both from here
    SSL_set_connect_state(ssl_.get());
  }

  void start(std::string& wire) override {
    if (auto error = handshake(); !error.empty()) throw Failure(exit_setup, error);
    drain(wire);
  }

  bool ready() const noexcept override { return ready_; }

  void encode(std::string_view lines, std::string& wire) override {
    // Into a memory BIO, SSL_write takes everything at once.
    while (!lines.empty()) {
      int size = static_cast<int>(std::min<std::size_t>(lines.size(), INT_MAX));
      int n = SSL_write(ssl_.get(), lines.data(), size);
      if (n <= 0) throw Failure(exit_setup, openssl_error("write"));
      lines.remove_prefix(static_cast<std::size_t>(n));
    }
    drain(wire);
  }

  std::string decode(std::string_view bytes, std::string& text, std::string& wire) override {
    std::string error = take(bytes, text);
    drain(wire);  // the rest of the handshake, a key update: whatever OpenSSL has to say
    return error;
  }

 private:
  std::string take(std::string_view bytes, std::string& text) {
    if (BIO_write(in_, bytes.data(), static_cast<int>(bytes.size())) !=
        static_cast<int>(bytes.size())) {
      return openssl_error("BIO_write");
    }
    if (!ready_) {
      if (auto error = handshake(); !error.empty() || !ready_) return error;
    }
    for (;;) {
      int n = SSL_read(ssl_.get(), record.data(), static_cast<int>(record.size()));
      if (n > 0) {
        text.append(record.data(), static_cast<std::size_t>(n));
        continue;
      }
      switch (SSL_get_error(ssl_.get(), n)) {
        case SSL_ERROR_WANT_READ:
          return {};  // every whole record read
        case SSL_ERROR_ZERO_RETURN:
          return "closed by the server (TLS close_notify)";
        default:
          return openssl_error("read");
      }
    }
  }

  std::string handshake() {
    int result = SSL_do_handshake(ssl_.get());
    if (result == 1) {
      ready_ = true;
      return {};
    }
    int error = SSL_get_error(ssl_.get(), result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return {};
    return openssl_error("handshake");
  }

  // Moves what OpenSSL wrote into the memory BIO to the connection's output.
  void drain(std::string& wire) {
    char* data = nullptr;
    long size = BIO_get_mem_data(out_, &data);
    if (size <= 0) return;
    wire.append(data, static_cast<std::size_t>(size));
    (void)BIO_reset(out_);
  }

  std::unique_ptr<SSL, SslDeleter> ssl_;
  BIO* in_ = nullptr;   // ciphertext from the server, owned by ssl_
  BIO* out_ = nullptr;  // ciphertext to the server, owned by ssl_
  bool ready_ = false;
};

class TlsFactory final : public TransportFactory {
 public:
  TlsFactory() : context_(SSL_CTX_new(TLS_client_method())) {
    if (context_ == nullptr) throw Failure(exit_setup, openssl_error("SSL_CTX_new"));
    SSL_CTX_set_min_proto_version(context_, TLS1_2_VERSION);
    SSL_CTX_set_verify(context_, SSL_VERIFY_NONE, nullptr);  // loopback, throwaway cert
  }
  ~TlsFactory() override { SSL_CTX_free(context_); }
  TlsFactory(const TlsFactory&) = delete;
  TlsFactory& operator=(const TlsFactory&) = delete;

  std::unique_ptr<Transport> make() override { return std::make_unique<TlsTransport>(context_); }

 private:
  SSL_CTX* context_;
};

}  // namespace

std::unique_ptr<TransportFactory> make_tls_transport() {
  return std::make_unique<TlsFactory>();
}

}  // namespace bench
