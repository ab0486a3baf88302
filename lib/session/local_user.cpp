#include "socketchat/local_user.hpp"

#include <algorithm>

#include "session/local_session.hpp"

namespace socketchat {

namespace {

// One call, one command: a line break must not smuggle in a second one.
std::string one_line(std::string text) {
  std::erase_if(text, [](char c) { return c == '\n' || c == '\r'; });
  return text;
}

}  // namespace

LocalUser::LocalUser(std::weak_ptr<detail::LocalSession> session, std::string name)
    : session_(std::move(session)), name_(std::move(name)) {}

LocalUser::~LocalUser() {
  disconnect();
}

void LocalUser::submit(std::string line) {
  if (auto session = session_.lock()) session->submit(std::move(line));
}

void LocalUser::send(std::string_view command) {
  submit(one_line(std::string(command)));
}

void LocalUser::say(std::string_view text) {
  submit("MSG " + one_line(std::string(text)));
}

void LocalUser::direct(std::string_view to, std::string_view text) {
  submit("DM " + one_line(std::string(to)) + " " + one_line(std::string(text)));
}

void LocalUser::disconnect() noexcept {
  try {
    if (auto session = session_.lock()) session->close();
  } catch (...) {  // posting can only fail for want of memory: nothing better to do
  }
}

}  // namespace socketchat
