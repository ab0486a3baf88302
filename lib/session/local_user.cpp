#include "socketchat/local_user.hpp"

#include <algorithm>

#include "session/local_session.hpp"

namespace socketchat {

LocalUser::LocalUser(std::weak_ptr<detail::LocalSession> session, std::string name)
    : session_(std::move(session)), name_(std::move(name)) {}

LocalUser::~LocalUser() {
  disconnect();
}

void LocalUser::history(HistoryOf of, std::string_view name, std::size_t count) {
  const std::string n = count == 0 ? std::string() : std::to_string(count);
  send({.verb = Verb::history, .name = name, .text = n, .history_of = of});
}

void LocalUser::send(const Command& command) {
  if (auto session = session_.lock()) session->submit(command);
}

void LocalUser::send(std::string_view command) {
  // One call, one command: a line break must not smuggle in a second one.
  std::string line(command);
  std::erase_if(line, [](char c) { return c == '\n' || c == '\r'; });
  if (auto session = session_.lock()) session->submit(std::move(line));
}

void LocalUser::disconnect() noexcept {
  try {
    if (auto session = session_.lock()) session->close();
  } catch (...) {  // posting can only fail for want of memory: nothing better to do
  }
}

}  // namespace socketchat
