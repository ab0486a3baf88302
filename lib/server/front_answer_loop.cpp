#include "server/front_answer_loop.hpp"

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "session/write_turns.hpp"

namespace socketchat::detail {

bool FrontAnswerLoop::post(std::function<void()> task) {
  if (workers_.empty()) return false;
  asio::post(workers_.front(), std::move(task));
  return true;
}

void FrontAnswerLoop::hold() {
  if (!workers_.empty()) asio::use_service<WriteTurns>(workers_.front()).hold();
}

void FrontAnswerLoop::release() {
  if (!workers_.empty()) asio::use_service<WriteTurns>(workers_.front()).release();
}

}  // namespace socketchat::detail
