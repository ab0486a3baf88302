#pragma once

// Lets doctest print a list of protocol lines in a failed check, with anything but
// printable ASCII shown as \xNN, so a failure shows exactly what was on the wire.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/line_client.hpp"

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& lines) {
    std::string out = "{";
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += (i ? ", \"" : "\"") + socketchat::test::escaped(lines[i]) + "\"";
    }
    return (out + "}").c_str();
  }
};
}  // namespace doctest
