#pragma once

#include <optional>
#include <string>

namespace socketchatd {

// A new password from standard input, never from the command line (where `ps` would
// show it): one line, without its line end. At a terminal it is asked for twice, with
// "Password: " on stderr and the echo off. nullopt, with `why` set, when input ends
// first or the two differ.
std::optional<std::string> read_new_password(std::string& why);

}  // namespace socketchatd
