// socketchatd_settings_doc: writes the README's table of settings and the sample config
// from setting_table.cpp, or checks that they are what it would write; and, at build
// time, the installed config (the sample with some settings set) and socketchatd(8).
//   socketchatd_settings_doc --check|--write README.md packaging/socketchatd.conf
//   socketchatd_settings_doc --config OUT [KEY=VALUE...]
//   socketchatd_settings_doc --man OUT CONFIG_FILE DATA_DIR
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "settings_doc.hpp"

namespace {

// The README's table stands between these two lines.
constexpr std::string_view table_begin =
    "<!-- settings: written by socketchatd_settings_doc from apps/socketchatd/setting_table.cpp "
    "-->\n";
constexpr std::string_view table_end = "<!-- end of settings -->\n";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// `readme` with the table between the markers replaced; empty if a marker is missing.
std::string with_table(const std::string& readme, const std::string& table) {
  auto begin = readme.find(table_begin);
  auto end = readme.find(table_end);
  if (begin == std::string::npos || end == std::string::npos || end < begin) return {};
  begin += table_begin.size();
  return readme.substr(0, begin) + table + readme.substr(end);
}

// Writes `text` to `path`, or says why it could not.
int write(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (out) return 0;
  std::cerr << path << ": cannot be written\n";
  return 1;
}

// --config OUT [KEY=VALUE...]: the sample config with those settings set.
int write_config(int argc, char** argv) {
  socketchatd::Given given;
  for (int i = 3; i < argc; ++i) {
    std::string item = argv[i];
    auto equals = item.find('=');
    if (equals == std::string::npos) {
      std::cerr << "expected KEY=VALUE, got " << item << "\n";
      return 2;
    }
    given[item.substr(0, equals)] = item.substr(equals + 1);
  }
  try {
    return write(argv[2], socketchatd::sample_config(given));
  } catch (const std::exception& e) {
    std::cerr << "socketchatd_settings_doc --config: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "--config" && argc >= 3) return write_config(argc, argv);
  if (mode == "--man" && argc == 5) return write(argv[2], socketchatd::man_page(argv[3], argv[4]));
  if ((mode != "--check" && mode != "--write") || argc != 4) {
    std::cerr << "usage: socketchatd_settings_doc --check|--write README.md socketchatd.conf\n"
                 "       socketchatd_settings_doc --config OUT [KEY=VALUE...]\n"
                 "       socketchatd_settings_doc --man OUT CONFIG_FILE DATA_DIR\n";
    return 2;
  }
  const std::string readme_path = argv[2], config_path = argv[3];
  const std::string readme = read(readme_path);
  const std::string wanted[] = {with_table(readme, socketchatd::settings_markdown()),
                                socketchatd::sample_config()};
  const std::string paths[] = {readme_path, config_path};
  const std::string found[] = {readme, read(config_path)};
  if (wanted[0].empty()) {
    std::cerr << readme_path << ": no settings table markers\n";
    return 1;
  }
  int status = 0;
  for (int i = 0; i < 2; ++i) {
    if (found[i] == wanted[i]) continue;
    if (mode == "--write") {
      std::ofstream(paths[i]) << wanted[i];
    } else {
      std::cerr << paths[i] << " does not list the settings of setting_table.cpp; run "
                << "socketchatd_settings_doc --write " << readme_path << " " << config_path << "\n";
      status = 1;
    }
  }
  return status;
}
