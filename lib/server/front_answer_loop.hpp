#pragma once

#include <functional>

#include "server/workers.hpp"
#include "store/stored_answers.hpp"

namespace socketchat::detail {

// Where the history writer's batches are answered: the first io_context's loop, the
// same for every batch, so that they are delivered in the order they were stored.
class FrontAnswerLoop final : public AnswerLoop {
 public:
  explicit FrontAnswerLoop(Workers& workers) : workers_(workers) {}

  bool post(std::function<void()> task) override;
  void hold() override;
  void release() override;

 private:
  Workers& workers_;
};

}  // namespace socketchat::detail
