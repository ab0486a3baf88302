#include "settings_doc.hpp"

#include <sstream>
#include <vector>

#include "setting_table.hpp"

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

// The daemon's own options, with their defaults as --help shows them.
struct Defaults {
  Settings settings;
  CLI::App app;
  Defaults() { add_settings(app, settings); }
  std::string shown(const Setting& setting) {
    return app.get_option("--" + setting.key)->get_default_str();
  }
};

// The value the sample config shows: the default, or for a setting without one, its
// example (commented out all the same).
std::string sample_value(const Setting& setting, const Settings& defaults) {
  std::string value = setting.binding.toml(defaults);
  if (value != "\"\"" && value != "[]") return value;
  Settings parsed;
  CLI::App app;
  add_settings(app, parsed);
  std::vector<std::string> args{setting.example, "--" + setting.key};  // CLI11 takes the last first
  app.parse(args);
  return setting.binding.toml(parsed);
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

std::string settings_markdown() {
  Defaults defaults;
  std::string out =
      "| setting | default | on SIGHUP | what it does |\n"
      "|---|---|---|---|\n";
  for (const Setting& setting : setting_table()) {
    std::string shown = defaults.shown(setting);
    out += "| `--" + setting.key + " " + setting.unit + "` | " +
           (shown.empty() ? "none" : "`" + shown + "`") + " | " +
           (needs_restart(setting) ? "restart" : "applied") + " | " + table_cell(setting.help) +
           " |\n";
  }
  return out;
}

std::string sample_config() {
  Defaults defaults;
  std::string out = config_header;
  for (const Setting& setting : setting_table()) {
    if (!setting.section.empty()) out += "\n## " + setting.section + "\n\n";
    out +=
        comment(setting.help + "." + (needs_restart(setting) ? " A reload cannot change it." : ""));
    out += "#" + setting.key + " = " + sample_value(setting, defaults.settings) + "\n";
  }
  return out;
}

}  // namespace socketchatd
