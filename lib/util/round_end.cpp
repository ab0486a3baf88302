#include "util/round_end.hpp"

#include <utility>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

namespace socketchat::detail {

namespace {
thread_local asio::io_context* round_context = nullptr;
}

void bind_round_end(asio::io_context& context) noexcept {
  round_context = &context;
}

bool at_round_end(std::function<void()>& task) {
  if (round_context == nullptr) return false;
  asio::post(*round_context, std::move(task));
  return true;
}

}  // namespace socketchat::detail
