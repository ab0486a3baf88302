#pragma once

#include <map>
#include <string>

#include "setting_table.hpp"

namespace socketchatd {

// The settings of setting_table() as the README's table (Markdown), as the sample config
// file (packaging/socketchatd.conf) and as the man page socketchatd(8): every setting with
// its default, whether a reload applies it, and what it does, in the words of --help.
std::string settings_markdown();

// Settings given values, each as its flag takes it: {"data-dir", "/var/lib/socketchat"}.
using Given = std::map<std::string, std::string>;

// The sample config; the settings in `given` are set to their values (not commented
// out). Throws std::invalid_argument for a key that is no setting, and CLI::Error for a
// value the setting refuses.
std::string sample_config(const Given& given = {});

// socketchatd(8) in roff, naming the config file and the data directory of an install.
std::string man_page(const std::string& config_file, const std::string& data_dir);

// A setting's default as --help shows it; empty when it has none.
std::string shown_default(const Setting& setting);

}  // namespace socketchatd
