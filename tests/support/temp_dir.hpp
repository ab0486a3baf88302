#pragma once

// A fresh directory under the system temp dir for a test's files.

#include <filesystem>
#include <string>

namespace socketchat::test {

// Made as <temp>/<prefix>-XXXXXX; removed with everything in it, even where the test
// took the owner's permissions away.
struct TempDir {
  explicit TempDir(const std::string& prefix = "socketchat-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path path;
};

}  // namespace socketchat::test
