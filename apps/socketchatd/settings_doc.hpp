#pragma once

#include <string>

namespace socketchatd {

// The settings of setting_table() as the README's table (Markdown) and as the sample
// config file (packaging/socketchatd.conf): every setting with its default, whether a
// reload applies it, and what it does, in the words of --help.
std::string settings_markdown();
std::string sample_config();

}  // namespace socketchatd
