// The browser client compiled into the library: every file of web/, byte for byte,
// at the path and with the Content-Type the server sends it under.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "http/web_assets.hpp"

using socketchat::detail::find_web_asset;
using socketchat::detail::web_assets;

namespace {

std::string read_web_file(const std::string& name) {
  std::ifstream in(std::string(SOCKETCHAT_WEB_DIR) + "/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot open web/" << name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("the page, its script and its style sheet are embedded as they are on disk") {
  struct Expected {
    const char* path;
    const char* file;
    const char* content_type;
  };
  const Expected expected[] = {
      {"/", "index.html", "text/html; charset=utf-8"},
      {"/app.js", "app.js", "text/javascript; charset=utf-8"},
      {"/style.css", "style.css", "text/css; charset=utf-8"},
  };
  for (const auto& e : expected) {
    CAPTURE(e.path);
    const auto* asset = find_web_asset(e.path);
    REQUIRE(asset != nullptr);
    CHECK(asset->content_type == e.content_type);
    CHECK_FALSE(asset->body.empty());
    CHECK(asset->body == read_web_file(e.file));  // every byte, no terminator added
  }
}

TEST_CASE("each asset has one path, and unknown paths find nothing") {
  std::set<std::string_view> paths;
  for (const auto& asset : web_assets()) {
    CHECK(asset.path.starts_with("/"));
    CHECK_FALSE(asset.content_type.empty());
    CHECK(paths.insert(asset.path).second);
  }
  CHECK(paths.size() >= 3);
  CHECK(find_web_asset("/index.html") == nullptr);  // the page lives at "/" only
  CHECK(find_web_asset("/ws") == nullptr);
  CHECK(find_web_asset("") == nullptr);
}
