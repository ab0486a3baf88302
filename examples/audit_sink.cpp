// A custom event sink: an audit trail on stdout and a live count of messages per user.
//
//   example_audit_sink [tcp://0.0.0.0:4000]
//
// Deriving from socketchat::BasicSink means writing only handle(): BasicSink calls it
// under its own lock (never twice at once) and catches whatever it throws.
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <socketchat/event_sink.hpp>
#include <socketchat/server.hpp>
#include <socketchat/signals.hpp>

namespace {

// "text" in double quotes, with backslash, quote and tab escaped: whatever a user
// types, the audit line stays one line and its quotes stay balanced. (The server has
// already removed every other control character from the text.)
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + '"';
}

class AuditSink : public socketchat::BasicSink {
 public:
  // "alice=2 bob=1": the messages (public and direct) each user has sent, by name.
  std::string summary() const {
    std::lock_guard lock(counts_mutex_);  // summary() may run while handle() does
    std::string out;
    for (const auto& [user, count] : sent_) {
      if (!out.empty()) out += ' ';
      out += user + '=' + std::to_string(count);
    }
    return out.empty() ? "(none)" : out;
  }

 protected:
  // Runs on the server's I/O threads: quick, no blocking. The views in `event` are
  // valid only during this call, so anything kept (the counters) is copied.
  void handle(const socketchat::Event& event) override {
    using socketchat::EventKind;
    switch (event.kind) {
      case EventKind::login:
        write("login " + std::string(event.user));
        break;
      case EventKind::message:
        count(event.user);
        write("msg " + std::string(event.user) + ' ' + quoted(event.text));
        break;
      case EventKind::direct_message:
        count(event.user);
        write("dm " + std::string(event.user) + " -> " + std::string(event.target) + ' ' +
              quoted(event.text));
        break;
      case EventKind::room_message:
        count(event.user);
        write("say " + std::string(event.user) + " #" + std::string(event.target) + ' ' +
              quoted(event.text));
        break;
      case EventKind::disconnect:
        if (!event.user.empty()) write("disconnect " + std::string(event.user));  // logged in
        break;
      default:  // connect, error: not part of this audit trail
        break;
    }
  }

 private:
  static void write(const std::string& line) { std::cout << "audit: " << line << std::endl; }

  void count(std::string_view user) {
    std::lock_guard lock(counts_mutex_);
    ++sent_[std::string(user)];
  }

  mutable std::mutex counts_mutex_;
  std::map<std::string, unsigned long> sent_;  // std::map: the summary comes out sorted
};

}  // namespace

int main(int argc, char** argv) {
  socketchat::ShutdownSignals signals;  // before the server starts any thread

  socketchat::ServerOptions options;
  options.listen(argc > 1 ? argv[1] : "tcp://0.0.0.0:4000");
  socketchat::Server server{options};
  auto audit = std::make_shared<AuditSink>();
  server.add_sink(audit);  // the server shares ownership; we keep a pointer for the summary

  server.start();
  std::cout << "listening on port " << server.port() << std::endl;

  signals.wait();
  server.stop();  // returns once every connection is closed: the counts are final
  std::cout << "audit summary: " << audit->summary() << std::endl;
  return 0;
}
