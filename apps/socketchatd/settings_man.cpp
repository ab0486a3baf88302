// socketchatd(8): the man page, written from the same options as --help and the same
// table as the sample config, so that the three never disagree.
#include <cctype>
#include <string>

#include <socketchat/version.hpp>

#include "settings.hpp"
#include "settings_doc.hpp"

namespace socketchatd {

namespace {

// `text` as roff running text: backslashes escaped, the dashes of a flag (--data-dir)
// as minus signs, and no line starting with a control character.
std::string roff(const std::string& text) {
  std::string out;
  bool in_flag = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool word_start = i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]));
    if (c == '-' && word_start && i + 1 < text.size() && text[i + 1] == '-') in_flag = true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') in_flag = false;
    out += c == '\\'             ? std::string("\\e")
           : c == '-' && in_flag ? std::string("\\-")
                                 : std::string(1, c);
  }
  if (out.starts_with('.') || out.starts_with('\'')) out = "\\&" + out;
  return out;
}

// A flag as a tagged paragraph's tag: --data-dir DIR.
std::string tag(const std::string& flag, const std::string& unit) {
  return ".TP\n\\fB" + roff(flag) + "\\fR" + (unit.empty() ? "" : " \\fI" + unit + "\\fR") + "\n";
}

constexpr const char* description = R"(.SH DESCRIPTION
.B socketchatd
is a chat server: users log in with a unique name, talk in rooms, send direct
messages and read history, over the socketchat line protocol (plain TCP, TLS or
WebSocket), over IRC, and from the built-in browser client.
It stays in the foreground and logs to standard error, one line an event.
.PP
Every setting below is a flag, an environment variable (\fBSOCKETCHAT_\fR and the
flag's name in upper case with \fB_\fR for \fB\-\fR, e.g. \fBSOCKETCHAT_MAX_CONNECTIONS\fR)
and a key of the configuration file (the flag without its leading dashes, as
\fIkey\fR \fB=\fR \fIvalue\fR).
Flags come first, then the environment, then the file, then the defaults.
A repeatable setting takes a comma-separated list in the environment and a list
(\fB["a", "b"]\fR) in the file.
)";

constexpr const char* signals_and_status = R"(.SH SIGNALS
.TP
.B SIGHUP
Reads the configuration again and applies what can change while running; a setting
that cannot is logged as needing a restart and keeps its value.
On any error nothing changes.
.TP
.BR SIGTERM ", " SIGINT
Stops accepting, tells every client, waits up to \fB\-\-shutdown\-timeout\fR for
their output to drain, and exits.
.SH EXIT STATUS
0 after a clean stop, and for a good configuration with \fB\-\-check\-config\fR,
which exits 2 for a bad one.
1 when the server cannot start (a bad setting, a busy port, an unreadable store).
A command line that cannot be parsed is explained on standard error, with a status
other than 0.
)";

}  // namespace

std::string man_page(const std::string& config_file, const std::string& data_dir) {
  Settings settings;
  CLI::App app;
  add_settings(app, settings);
  auto about = [&app](const std::string& flag) {
    return roff(app.get_option(flag)->get_description()) + ".\n";
  };

  std::string out = ".TH SOCKETCHATD 8 \"\" \"socketchat " +
                    std::string(socketchat::version_string) +
                    "\" \"System Administration\"\n"
                    ".nh\n";  // flags and error codes are not hyphenated
  out +=
      ".SH NAME\nsocketchatd \\- chat server for the socketchat line protocol, IRC and "
      "WebSocket\n";
  out +=
      ".SH SYNOPSIS\n.B socketchatd\n.RB [ \\-\\-config\n.IR FILE ]\n"
      ".RB [ \\-\\-check\\-config ]\n.RI [ SETTING ...]\n.br\n"
      ".B socketchatd accounts\n.I ACTION\n.RI [ NAME ]\n.B \\-\\-data\\-dir\n.I DIR\n";
  out += description;
  out += ".SH OPTIONS\n";
  out += tag("--config", "FILE") + about("--config");
  out += tag("--check-config", "") + about("--check-config");
  out += tag("--help", "") + "Prints the options with their defaults and exits.\n";
  out += tag("--version", "") + "Prints the version and exits.\n";
  out += tag("accounts", "ACTION") +
         "Manages the accounts kept in \\fB\\-\\-data\\-dir\\fR: add, passwd, remove, list, "
         "grant\\-op, revoke\\-op, revoke\\-tokens; \\fBsocketchatd accounts \\-\\-help\\fR "
         "says more.\n";
  out += ".SH SETTINGS\n";
  for (const Setting& setting : setting_table()) {
    if (!setting.section.empty()) out += ".SS " + roff(setting.section) + "\n";
    std::string shown = shown_default(setting);
    out += tag("--" + setting.key, setting.unit) + roff(setting.help) + ".\n";
    out += "Default: " + (shown.empty() ? std::string("none") : "\\fB" + roff(shown) + "\\fR") +
           "." + (needs_restart(setting) ? " A reload cannot change it." : "") + "\n";
  }
  out += signals_and_status;
  out += ".SH FILES\n.TP\n.I " + roff(config_file) +
         "\nThe configuration: every setting with its default, commented out, but for the "
         "data directory.\n"
         ".TP\n.I " +
         roff(data_dir) +
         "\nThe data directory of the systemd service (its \\fBStateDirectory\\fR): "
         "history.db, the history, and accounts.db, the accounts (SQLite).\n";
  out += ".SH SEE ALSO\n.BR socketchat (7),\n.BR systemd.exec (5)\n";
  return out;
}

}  // namespace socketchatd
