#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace socketchat::detail {

// A command's words as hiredis's *Argv calls take them: pointers and lengths, so that a
// word may hold any byte. Views: the words must outlive the call.
struct RedisArgv {
  explicit RedisArgv(std::span<const std::string_view> words) {
    argv.reserve(words.size());
    lengths.reserve(words.size());
    for (auto word : words) {
      argv.push_back(word.data());
      lengths.push_back(word.size());
    }
  }
  int count() const noexcept { return static_cast<int>(argv.size()); }

  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
};

}  // namespace socketchat::detail
