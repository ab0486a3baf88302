#pragma once

#include <span>
#include <string_view>

namespace socketchat::detail {

// One file of the built-in browser client, compiled into the library from web/ by
// cmake/embed_web.cmake.
struct WebAsset {
  std::string_view path;          // the request path: "/" for index.html, else "/<file name>"
  std::string_view content_type;  // the Content-Type to send it with
  std::string_view body;
};

// Every asset, sorted by file name; the data is static, so the views never dangle.
// Defined in the generated web_assets.cpp.
std::span<const WebAsset> web_assets();

// The asset served at `path` (without query string), or nullptr.
inline const WebAsset* find_web_asset(std::string_view path) {
  for (const auto& asset : web_assets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace socketchat::detail
