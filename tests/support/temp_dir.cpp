#include "support/temp_dir.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <doctest/doctest.h>

namespace socketchat::test {

namespace fs = std::filesystem;

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  // mkdtemp makes a name no one else has, atomically; without it the test cannot go on.
  REQUIRE_MESSAGE(::mkdtemp(pattern.data()) != nullptr,
                  "mkdtemp " << pattern << ": " << std::strerror(errno));
  path = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ignored);
  fs::remove_all(path, ignored);
}

}  // namespace socketchat::test
