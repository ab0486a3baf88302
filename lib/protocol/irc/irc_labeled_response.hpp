#pragma once

#include <cstddef>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <string_view>

#include "socketchat/payload.hpp"

namespace socketchat::detail {

// IRCv3 labeled-response for one connection (docs/IRC.md): what the server answers a
// labeled line is held until the line is done with, its commands finished, then sent as
// that one line tagged with the label, a `labeled-response` batch (a lone batch of its
// own, CHATHISTORY's, carries the label itself), or an `ACK`.
//
// The one answer that can come before then is the sender's copy of its message
// (echo-message), which the Hub delivers where the store answers, in the order of the
// ids: it goes out at once, labeled when it is the whole answer so far, else opening the
// batch. Its line is found by its label (Command::label, ServerMessage::label).
//
// Threading: the line's side runs on the connection's strand; echo() on whatever thread
// delivers. A thread-local marks the strand's thread while it answers a labeled line
// (capturing()), so that what IrcConnection::encode() spells then is held, while a DM
// from someone else, spelled on their thread, is not.
class LabeledResponses {
 public:
  // Most a label may hold, as the specification says: a longer one is ignored.
  static constexpr std::size_t max_label_bytes = 64;
  // Most an answer holds back: past it, its batch opens and what it held goes out, so
  // that a long answer (JOIN of many channels, each with its names) reaches the send
  // queue step by step, where the session's backlog check sees it, as an unlabeled one.
  static constexpr std::size_t max_held_bytes = 64 * 1024;

  explicit LabeledResponses(std::string_view server) : server_(server) {}

  // Strand. A labeled line begins (once, not when fed again); `several`: it may be
  // echoed more than once (a PRIVMSG to a list of targets).
  void begin(std::string_view label, bool several);
  // Strand: the label of the line being fed.
  std::string_view line_label() const noexcept {
    return line_ ? std::string_view(line_->label) : std::string_view{};
  }
  // Strand. While the labeled line being fed runs (between begin() and end_line()).
  void capture_line() noexcept;
  void stop_capturing() noexcept;
  // Strand. The labeled line is done with: what completes its answer, if none of its
  // commands is still in flight (then on the last one's finished()).
  Payload end_line();
  // Strand. A command was handed over that finishes later (Handled::finishes_later):
  // of the labeled line being fed, or not. Once labels are on, every such command is
  // noted, so that finishing() knows whose answer comes.
  void taken_later(bool of_labeled_line);
  // Strand, around the Hub's answer to the oldest command still in flight.
  void finishing() noexcept;
  Payload finished();

  // Whether this thread is answering a labeled line of this connection now.
  bool capturing() const noexcept { return capturing_ == this; }
  // While capturing: output for the client, held (returns nothing), or, once its batch
  // is open (or opens, past max_held_bytes), tagged to go out now.
  Payload hold(const Payload& lines);
  // How many lines are held for the answer being captured.
  std::size_t held_lines() const;
  // Any thread: the sender's own message, with the label of the line that sent it.
  Payload echo(std::string_view label, const Payload& line);

 private:
  struct Answer {
    std::string label;
    bool several = false;
    std::string held;                // lines not yet sent
    std::size_t lines = 0;           // held or sent, of this answer
    std::string batch;               // the labeled-response batch's reference, once open
    bool labeled_line_sent = false;  // the whole answer went out as one labeled line
    int in_flight = 0;               // its commands that finish later, not finished yet
    bool line_done = false;          // end_line() came
  };

  // What completes `answer` (the lock held).
  std::string complete(Answer& answer);
  // Opens `answer`'s batch into `out`, with what it held (the lock held).
  void open_batch(Answer& answer, std::string& out);
  std::string server_;
  // Guards the answers' contents, which echo() reads and changes on other threads.
  mutable std::mutex mutex_;
  std::list<Answer> answers_;      // of lines not yet answered in full, in order
  std::deque<Answer*> in_flight_;  // per command that finishes later: its answer or null
  Answer* line_ = nullptr;         // strand: of the labeled line being fed
  Answer* target_ = nullptr;       // strand: what is held now (the line's, or finishing's)
  std::size_t batches_ = 0;        // references made: "lr<n>"
  static thread_local const LabeledResponses* capturing_;
};

}  // namespace socketchat::detail
