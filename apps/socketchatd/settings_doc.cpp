#include "settings_doc.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "setting_table.hpp"
#include "settings.hpp"

namespace socketchatd {

namespace {

constexpr const char* config_header =
    R"(# socketchatd configuration: every setting, shown with its default.
#
# One "key = value" a line (TOML/INI style); keys are the command-line flags without
# the leading "--"; strings may be quoted; a line starting with # is a comment, so
# everything below is the built-in default until you uncomment and change it.
# A misspelt key is an error, not ignored.
#
# Each key can also be set by an environment variable named SOCKETCHAT_ plus the key
# in upper case with "-" as "_", e.g. SOCKETCHAT_MAX_CONNECTIONS=500.
# Precedence: command-line flags > environment variables > this file > defaults.
# SIGHUP reloads this file; what a reload cannot change says so below.
#
# Check a change before restarting:
#   socketchatd --config /etc/socketchat/socketchatd.conf --check-config
#
# Written from apps/socketchatd/setting_table.cpp by socketchatd_settings_doc.
)";

// A value as the config file spells it, read as the setting's flag would read it.
std::string toml_value(const Setting& setting, const std::string& flag_value) {
  Settings parsed;
  CLI::App app;
  add_settings(app, parsed);
  std::vector<std::string> args{flag_value, "--" + setting.key};  // CLI11 takes the last first
  app.parse(args);
  return setting.binding.toml(parsed);
}

// The value the sample config shows: the default, or for a setting without one, its
// example (commented out all the same).
std::string sample_value(const Setting& setting, const Settings& defaults) {
  std::string value = setting.binding.toml(defaults);
  if (value != "\"\"" && value != "[]") return value;
  return toml_value(setting, setting.example);
}

// `text` as comment lines of at most 88 columns.
std::string comment(const std::string& text) {
  std::istringstream words(text);
  std::string out, line, word;
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > 86) {
      out += "# " + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + "# " + line + "\n";
}

std::string table_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

std::string shown_default(const Setting& setting) {
  Settings settings;
  CLI::App app;
  add_settings(app, settings);
  return app.get_option("--" + setting.key)->get_default_str();
}

std::string settings_markdown() {
  std::string out =
      "| setting | default | on SIGHUP | what it does |\n"
      "|---|---|---|---|\n";
  for (const Setting& setting : setting_table()) {
    std::string shown = shown_default(setting);
    out += "| `--" + setting.key + " " + setting.unit + "` | " +
           (shown.empty() ? "none" : "`" + shown + "`") + " | " +
           (needs_restart(setting) ? "restart" : "applied") + " | " + table_cell(setting.help) +
           " |\n";
  }
  return out;
}

std::string sample_config(const Given& given) {
  for (const auto& [key, value] : given) {
    const auto& table = setting_table();
    if (std::none_of(table.begin(), table.end(), [&](const Setting& s) { return s.key == key; }))
      throw std::invalid_argument("no setting is called " + key);
  }
  Settings defaults;
  std::string out = config_header;
  if (!given.empty()) {
    out += "#\n# Set for this installation, the rest left at their defaults:";
    for (const auto& item : given) out += " " + item.first;
    out += ".\n";
  }
  for (const Setting& setting : setting_table()) {
    if (!setting.section.empty()) out += "\n## " + setting.section + "\n\n";
    out +=
        comment(setting.help + "." + (needs_restart(setting) ? " A reload cannot change it." : ""));
    auto set = given.find(setting.key);
    out += set == given.end() ? "#" + setting.key + " = " + sample_value(setting, defaults) + "\n"
                              : setting.key + " = " + toml_value(setting, set->second) + "\n";
  }
  return out;
}

}  // namespace socketchatd
