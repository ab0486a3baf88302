#pragma once

#include <memory>
#include <string>

namespace asio::ssl {
class context;
}

namespace socketchat::detail {

// A server TLS context from PEM files: TLS 1.2 and newer only. Throws config_error
// naming the file and what is wrong with it (missing, unreadable, not PEM, or a key
// that does not match the certificate).
std::shared_ptr<asio::ssl::context> make_tls_context(const std::string& certificate_file,
                                                     const std::string& private_key_file);

}  // namespace socketchat::detail
