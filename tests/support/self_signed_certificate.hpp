#pragma once

// A self-signed certificate for 127.0.0.1 (P-256, valid for a day), made with OpenSSL
// in a directory of its own, for tests that run a TLS listener.

#include <filesystem>

#include "support/temp_dir.hpp"

namespace socketchat::test {

struct SelfSignedCertificate {
  SelfSignedCertificate();

  TempDir directory;
  std::filesystem::path certificate = directory.path / "cert.pem";
  std::filesystem::path key = directory.path / "key.pem";
};

}  // namespace socketchat::test
