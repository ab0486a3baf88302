#include "transport/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <fmt/format.h>
#include <asio/ssl/context.hpp>

#include "socketchat/error.hpp"
#include "transport/tls13_records.hpp"

namespace socketchat::detail {

namespace {

// OpenSSL's own words for the last error, which name the real cause ("no such
// file", "key values mismatch", ...).
std::string openssl_reason() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_tls_context(const std::string& certificate_file,
                                                     const std::string& private_key_file) {
  if (certificate_file.empty() || private_key_file.empty()) {
    throw config_error("TLS needs both a certificate file and a private key file");
  }
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(native, certificate_file.c_str()) != 1) {
    throw config_error(
        fmt::format("TLS certificate '{}' cannot be used: {}", certificate_file, openssl_reason()));
  }
  if (SSL_CTX_use_PrivateKey_file(native, private_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw config_error(
        fmt::format("TLS private key '{}' cannot be used: {}", private_key_file, openssl_reason()));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    throw config_error(fmt::format("TLS private key '{}' does not match certificate '{}': {}",
                                   private_key_file, certificate_file, openssl_reason()));
  }
  Tls13Records::prepare_context(native);
  return context;
}

}  // namespace socketchat::detail
