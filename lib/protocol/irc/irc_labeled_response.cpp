// IRCv3 labeled-response: a labeled line's answer, held until complete.
#include "protocol/irc/irc_labeled_response.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "protocol/irc/irc_message.hpp"

namespace socketchat::detail {

thread_local const LabeledResponses* LabeledResponses::capturing_ = nullptr;

namespace {

std::size_t count_lines(std::string_view lines) noexcept {
  std::size_t n = 0;
  for (std::size_t at = lines.find("\r\n"); at != std::string_view::npos;
       at = lines.find("\r\n", at + 2)) {
    ++n;
  }
  return n;
}

// Calls each(line) for every line of `lines`, its CR LF included.
template <class Each>
void for_each_line(std::string_view lines, Each&& each) {
  while (!lines.empty()) {
    const std::size_t end = lines.find("\r\n");
    const std::size_t size = end == std::string_view::npos ? lines.size() : end + 2;
    each(lines.substr(0, size));
    lines.remove_prefix(size);
  }
}

// The line with `tag` ("label=x", "batch=y") added to the tags it has.
void append_with_tag(std::string& out, std::string_view line, std::string_view tag) {
  out.push_back('@');
  out.append(tag);
  if (line.starts_with('@')) {
    out.push_back(';');
    line.remove_prefix(1);
  } else {
    out.push_back(' ');
  }
  out.append(line);
}

// The command of a server line, and its first parameter.
IrcMessage parsed(std::string_view line) {
  IrcMessage message;
  while (line.ends_with('\n') || line.ends_with('\r')) line.remove_suffix(1);
  parse_irc_message(line, message);
  return message;
}

// Nothing for no bytes (a zero-length write is no write).
Payload payload_of(std::string_view bytes) {
  return bytes.empty() ? Payload{} : Payload::copy_of(bytes);
}

bool is_batch_line(const IrcMessage& message) noexcept {
  return message.command == "BATCH";
}

// The lines, each tagged into the batch `reference`, but for those inside a batch of
// their own (a CHATHISTORY batch nested in the answer's): only that batch's start and
// end are.
void append_in_batch(std::string& out, std::string_view lines, std::string_view reference) {
  const std::string tag = fmt::format("batch={}", reference);
  for_each_line(lines, [&](std::string_view line) {
    const IrcMessage message = parsed(line);
    if (!is_batch_line(message) && !irc_tag(message.tags, "batch").empty()) {
      out.append(line);
    } else {
      append_with_tag(out, line, tag);
    }
  });
}

// Whether the lines are one batch from its start to its end, and nothing else.
bool is_one_batch(std::string_view lines) {
  const std::size_t first_end = lines.find("\r\n");
  if (first_end == std::string_view::npos || lines.size() < 4) return false;
  const std::size_t last_start = lines.rfind("\r\n", lines.size() - 3);
  if (last_start == std::string_view::npos) return false;
  const IrcMessage first = parsed(lines.substr(0, first_end));
  const IrcMessage last = parsed(lines.substr(last_start + 2));
  const std::string_view opened = first.param(0), closed = last.param(0);
  return is_batch_line(first) && is_batch_line(last) && opened.starts_with('+') &&
         closed.starts_with('-') && opened.substr(1) == closed.substr(1);
}

}  // namespace

void LabeledResponses::begin(std::string_view label, bool several) {
  std::lock_guard lock(mutex_);
  line_ = &answers_.emplace_back();
  line_->label.assign(label);
  line_->several = several;
}

void LabeledResponses::capture_line() noexcept {
  target_ = line_;
  capturing_ = this;
}

void LabeledResponses::stop_capturing() noexcept {
  target_ = nullptr;
  capturing_ = nullptr;
}

Payload LabeledResponses::end_line() {
  stop_capturing();
  Answer* answer = std::exchange(line_, nullptr);
  if (!answer) return {};
  std::lock_guard lock(mutex_);
  answer->line_done = true;
  if (answer->in_flight > 0) return {};
  const std::string out = complete(*answer);
  answers_.remove_if([&](const Answer& each) { return &each == answer; });
  return payload_of(out);
}

void LabeledResponses::taken_later(bool of_labeled_line) {
  Answer* answer = of_labeled_line ? line_ : nullptr;
  if (answer) {
    std::lock_guard lock(mutex_);
    ++answer->in_flight;
  }
  in_flight_.push_back(answer);
}

void LabeledResponses::finishing() noexcept {
  target_ = in_flight_.empty() ? nullptr : in_flight_.front();
  capturing_ = target_ ? this : nullptr;
}

Payload LabeledResponses::finished() {
  stop_capturing();
  if (in_flight_.empty()) return {};
  Answer* answer = in_flight_.front();
  in_flight_.pop_front();
  if (!answer) return {};
  std::lock_guard lock(mutex_);
  if (--answer->in_flight > 0 || !answer->line_done) return {};
  const std::string out = complete(*answer);
  answers_.remove_if([&](const Answer& each) { return &each == answer; });
  return payload_of(out);
}

Payload LabeledResponses::hold(const Payload& lines) {
  if (!lines || !target_) return lines;
  std::lock_guard lock(mutex_);
  Answer& answer = *target_;
  answer.lines += count_lines(lines.view());
  if (!answer.batch.empty()) {  // the echo opened it: the rest goes out in it
    std::string out;
    append_in_batch(out, lines.view(), answer.batch);
    return payload_of(out);
  }
  if (answer.labeled_line_sent) return lines;  // not for a label any more (not expected)
  answer.held.append(lines.view());
  if (answer.held.size() <= max_held_bytes) return {};
  std::string out;
  open_batch(answer, out);
  return payload_of(out);
}

std::size_t LabeledResponses::held_lines() const {
  if (!target_) return 0;
  std::lock_guard lock(mutex_);
  return target_->lines;
}

Payload LabeledResponses::echo(std::string_view label, const Payload& line) {
  if (!line) return line;
  std::lock_guard lock(mutex_);
  auto answer = std::find_if(answers_.begin(), answers_.end(),
                             [&](const Answer& each) { return each.label == label; });
  if (answer == answers_.end()) return line;  // its answer is complete: not expected
  std::string out;
  if (answer->batch.empty() && answer->lines == 0 && !answer->several) {
    answer->labeled_line_sent = true;  // the whole answer
    append_with_tag(out, line.view(), fmt::format("label={}", answer->label));
  } else {
    if (answer->batch.empty()) open_batch(*answer, out);
    append_in_batch(out, line.view(), answer->batch);
  }
  answer->lines += count_lines(line.view());
  return payload_of(out);
}

void LabeledResponses::open_batch(Answer& answer, std::string& out) {
  answer.batch = fmt::format("lr{}", ++batches_);
  fmt::format_to(std::back_inserter(out), "@label={} :{} BATCH +{} labeled-response\r\n",
                 answer.label, server_, answer.batch);
  append_in_batch(out, answer.held, answer.batch);
  answer.held.clear();
}

std::string LabeledResponses::complete(Answer& answer) {
  std::string out;
  if (!answer.batch.empty()) {
    fmt::format_to(std::back_inserter(out), ":{} BATCH -{}\r\n", server_, answer.batch);
  } else if (answer.labeled_line_sent) {
    // its one line went out
  } else if (answer.lines == 0) {
    fmt::format_to(std::back_inserter(out), "@label={} :{} ACK\r\n", answer.label, server_);
  } else if (answer.lines == 1 || is_one_batch(answer.held)) {
    // One line, or a batch of its own (CHATHISTORY's): the label goes on it (its start).
    const std::size_t end = answer.held.find("\r\n");
    const std::size_t first = end == std::string::npos ? answer.held.size() : end + 2;
    append_with_tag(out, std::string_view(answer.held).substr(0, first),
                    fmt::format("label={}", answer.label));
    out.append(std::string_view(answer.held).substr(first));
  } else {
    open_batch(answer, out);
    fmt::format_to(std::back_inserter(out), ":{} BATCH -{}\r\n", server_, answer.batch);
  }
  return out;
}

}  // namespace socketchat::detail
