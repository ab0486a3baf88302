// The history writer's answers, delivered on an I/O thread's loop a slice at a time
// (StoredAnswers), and the write turns they hold meanwhile (WriteTurns::hold).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "server/connection.hpp"
#include "session/write_turns.hpp"
#include "store/stored_answers.hpp"

using namespace socketchat;
using namespace socketchat::detail;

namespace {

// A loop whose posted tasks the test runs, one at a time, and which notes what holds
// its writes.
class ManualLoop final : public AnswerLoop {
 public:
  bool post(std::function<void()> task) override {
    tasks.push_back(std::move(task));
    return true;
  }
  void hold() override {
    ++holds;
    log.push_back("hold");
  }
  void release() override {
    --holds;
    log.push_back("release");
  }
  // Runs the first task posted and not yet run; false if there is none.
  bool run_one() {
    if (tasks.empty()) return false;
    auto task = std::move(tasks.front());
    tasks.erase(tasks.begin());
    task();
    return true;
  }

  std::vector<std::function<void()>> tasks;
  int holds = 0;
  std::vector<std::string>& log;
  explicit ManualLoop(std::vector<std::string>& into) : log(into) {}
};

// Notes each slice (between answers_begin and answers_end).
class SliceLog final : public BatchAnswers {
 public:
  explicit SliceLog(std::vector<std::string>& into) : log(into) {}
  void answers_begin() override { log.push_back("["); }
  void answers_end() override { log.push_back("]"); }
  std::vector<std::string>& log;
};

// A batch of `count` stored records whose answers note their texts, prefixed.
StoredBatch batch_of(std::size_t count, const std::string& prefix, std::vector<std::string>& log) {
  StoredBatch batch;
  batch.stored = true;
  batch.epoch = "e";
  for (std::size_t i = 0; i < count; ++i) {
    batch.records.push_back(
        {.scope = "*", .unix_ms = 0, .from = "a", .text = prefix + std::to_string(i)});
    batch.answers.push_back([&log](bool stored, HistoryRecord& record, const std::string& epoch) {
      log.push_back(stored && epoch == "e" ? record.text : "?");
    });
  }
  return batch;
}

// The log between a "[" and its "]", for each slice.
std::vector<std::vector<std::string>> slices_of(const std::vector<std::string>& log) {
  std::vector<std::vector<std::string>> slices;
  for (const auto& entry : log) {
    if (entry == "[") {
      slices.emplace_back();
    } else if (entry != "]" && entry != "hold" && entry != "release") {
      slices.back().push_back(entry);
    }
  }
  return slices;
}

}  // namespace

TEST_CASE("StoredAnswers: a batch is answered on the loop a slice at a time, writes held") {
  std::vector<std::string> log;
  ManualLoop loop(log);
  SliceLog around(log);
  StoredAnswers answers(&around, &loop);
  constexpr std::size_t n = StoredAnswers::slice_answers;

  answers.answer(batch_of(2 * n + 3, "a", log));
  CHECK(log.empty());  // nothing on the writer's thread
  REQUIRE(loop.tasks.size() == 1);

  // Another batch stored meanwhile waits for the whole of the first.
  answers.answer(batch_of(2, "b", log));
  CHECK(loop.tasks.size() == 1);  // one slice posted at a time

  REQUIRE(loop.run_one());
  CHECK(log.front() == "hold");  // from the first slice on
  CHECK(loop.holds == 1);
  CHECK(slices_of(log).size() == 1);
  CHECK(slices_of(log)[0].size() == n);
  REQUIRE(loop.tasks.size() == 1);  // the next slice, after the loop's other work

  REQUIRE(loop.run_one());
  REQUIRE(loop.run_one());  // the first batch's last slice
  CHECK(loop.holds == 0);
  CHECK(log.back() == "release");
  REQUIRE(loop.run_one());  // the second batch, held and released on its own
  CHECK_FALSE(loop.run_one());

  const auto slices = slices_of(log);
  REQUIRE(slices.size() == 4);
  CHECK(slices[0].front() == "a0");
  CHECK(slices[1].front() == "a" + std::to_string(n));
  CHECK(slices[2] == std::vector<std::string>{"a" + std::to_string(2 * n),
                                              "a" + std::to_string(2 * n + 1),
                                              "a" + std::to_string(2 * n + 2)});
  CHECK(slices[3] == std::vector<std::string>{"b0", "b1"});
  CHECK(std::count(log.begin(), log.end(), "hold") == 2);
  CHECK(loop.holds == 0);

  // A batch given once the queue is empty is posted again.
  answers.answer(batch_of(1, "c", log));
  REQUIRE(loop.run_one());
  CHECK(slices_of(log).back() == std::vector<std::string>{"c0"});
}

TEST_CASE("StoredAnswers: finish() answers what the loop has not, and its slices then do nothing") {
  std::vector<std::string> log;
  ManualLoop loop(log);
  SliceLog around(log);
  StoredAnswers answers(&around, &loop);
  answers.answer(batch_of(StoredAnswers::slice_answers + 1, "a", log));
  REQUIRE(loop.run_one());  // one slice out; the rest is still queued
  answers.answer(batch_of(1, "b", log));

  answers.finish();  // the loop stops running (the server is going)
  const auto slices = slices_of(log);
  REQUIRE(slices.size() == 3);
  CHECK(slices[1] == std::vector<std::string>{"a" + std::to_string(StoredAnswers::slice_answers)});
  CHECK(slices[2] == std::vector<std::string>{"b0"});
  CHECK(loop.holds == 0);  // every hold released

  const auto before = log.size();
  while (loop.run_one()) {
  }
  CHECK(log.size() == before);  // nothing answered twice

  answers.answer(batch_of(1, "c", log));  // after finish(): answered at once
  CHECK(slices_of(log).back() == std::vector<std::string>{"c0"});
}

TEST_CASE("StoredAnswers: with no loop, or none yet, a batch is answered where it is given") {
  std::vector<std::string> log;
  SliceLog around(log);
  {
    StoredAnswers answers(&around, nullptr);
    answers.answer(batch_of(StoredAnswers::slice_answers + 1, "a", log));
    CHECK(slices_of(log).size() == 2);
  }
  log.clear();
  class NotYet final : public AnswerLoop {
   public:
    bool post(std::function<void()>) override { return false; }
    void hold() override { ++holds; }
    void release() override { --holds; }
    int holds = 0;
  } not_yet;
  StoredAnswers answers(&around, &not_yet);
  answers.answer(batch_of(2, "a", log));
  CHECK(slices_of(log) == std::vector<std::vector<std::string>>{{"a0", "a1"}});
  CHECK(not_yet.holds == 0);
}

TEST_CASE("StoredAnswers: a batch's vectors are kept for the next one") {
  std::vector<std::string> log;
  StoredAnswers answers(nullptr, nullptr);
  answers.answer(batch_of(8, "a", log));
  StoredBatch spare = answers.spare();
  CHECK(spare.answers.empty());
  CHECK(spare.answers.capacity() >= 8);
  CHECK(spare.records.capacity() >= 8);
  answers.answer(batch_of(StoredAnswers::slice_answers * 20, "b", log));  // a burst's
  CHECK(answers.spare().answers.capacity() == 0);  // not kept: past the size kept
}

// ---- WriteTurns::hold ------------------------------------------------------------------

namespace {

class Writer final : public Connection {
 public:
  Writer() : Connection(0, "test") {}
  void shut_down() override {}
  std::uint32_t& table_slot() noexcept override { return slot_; }
  void send(Payload) override {}
  const Protocol& protocol() const noexcept override { std::abort(); }
  std::shared_ptr<Peer> shared_peer() override { return {}; }
  void defer(std::function<void()> task) override { task(); }
  void write_turn() override { ++turns; }
  int turns = 0;

 private:
  std::uint32_t slot_ = no_table_slot;
};

}  // namespace

TEST_CASE("WriteTurns: no turn is taken while held; release() resumes them") {
  asio::io_context io;
  auto& turns = asio::use_service<WriteTurns>(io);
  auto first = std::make_shared<Writer>();
  auto second = std::make_shared<Writer>();
  turns.schedule(first);  // posted before the hold
  turns.hold();
  turns.hold();
  turns.schedule(second);
  io.poll();
  CHECK(first->turns == 0);
  CHECK(second->turns == 0);
  turns.release();
  io.restart();
  io.poll();
  CHECK(first->turns == 0);  // still held once
  turns.release();
  io.restart();
  io.poll();
  CHECK(first->turns == 1);
  CHECK(second->turns == 1);
}

TEST_CASE("a batch's answered hook runs once, after its last answer and the writes' release") {
  std::vector<std::string> log;
  ManualLoop loop(log);
  StoredAnswers answers(nullptr, &loop);
  StoredBatch first = batch_of(40, "a", log);  // two slices
  first.answered = [&log] { log.push_back("answered"); };
  answers.answer(std::move(first));
  answers.answer(batch_of(1, "b", log));  // no hook
  REQUIRE(loop.run_one());
  CHECK(std::find(log.begin(), log.end(), "answered") == log.end());  // a slice is left
  while (loop.run_one()) {
  }
  REQUIRE(std::count(log.begin(), log.end(), "answered") == 1);
  auto at = std::find(log.begin(), log.end(), "answered");
  CHECK(*(at - 1) == "release");
  CHECK(*(at - 2) == "a39");
  CHECK(log.back() == "release");  // the second batch's, after the hook
  CHECK(std::find(at, log.end(), "b0") != log.end());
}
