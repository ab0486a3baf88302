// A moderation filter: every MSG, DM and SAY passes it before anyone receives it.
//
//   example_moderation [tcp://0.0.0.0:4000]
//
// Any message with the word "spam" in it (any case) is rejected: nobody receives it
// and its sender gets "ERR message-rejected". The word "darn" is rewritten "d**n".
#include <cctype>
#include <iostream>
#include <string>
#include <string_view>

#include <socketchat/moderation.hpp>
#include <socketchat/server.hpp>
#include <socketchat/signals.hpp>

namespace {

bool is_letter(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0;
}

// Whether `word` is `lower` in any mix of upper and lower case.
bool same_word(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(word[i])) != lower[i]) return false;
  }
  return true;
}

// Runs on the sender's I/O thread for every message: keep it quick. A word here is a
// run of letters, so "spam!" is caught but "spammer" is not.
socketchat::Verdict moderate(socketchat::MessageDraft& draft) {
  std::string& text = draft.text;  // the text others will read: ours to rewrite
  for (std::size_t start = 0; start < text.size();) {
    if (!is_letter(text[start])) {
      ++start;
      continue;
    }
    std::size_t end = start;
    while (end < text.size() && is_letter(text[end])) ++end;
    std::string_view word{text.data() + start, end - start};
    if (same_word(word, "spam")) return socketchat::Verdict::reject;
    if (same_word(word, "darn")) text.replace(start + 1, 2, "**");  // Darn -> D**n
    start = end;
  }
  return socketchat::Verdict::deliver;
}

}  // namespace

int main(int argc, char** argv) {
  socketchat::ShutdownSignals signals;  // before the server starts any thread

  socketchat::ServerOptions options;
  options.listen(argc > 1 ? argv[1] : "tcp://0.0.0.0:4000");
  socketchat::Server server{options};
  server.set_message_filter(moderate);  // before start(): it throws afterwards

  server.start();
  std::cout << "listening on port " << server.port() << std::endl;

  signals.wait();
  server.stop();
  return 0;
}
