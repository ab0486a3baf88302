#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "socketchat/history_store.hpp"
#include "store/history_clock.hpp"
#include "store/history_writer.hpp"

namespace socketchat::detail {

class EventBus;
class Peer;

// The one way the Hub reaches history, whatever the store. A store that does not block
// (in memory) is called right here, on the asking thread, and answers before the call
// returns; one that may (SQLite) is reached through the HistoryWriter's thread, which
// groups appends into one commit and answers from that thread later (answers_later()).
// Either way records are stamped where their place in the store is decided, so history
// is ordered by time too, and a failure is reported to the sinks and answered as one.
class HistoryAccess {
 public:
  explicit HistoryAccess(EventBus& bus) : bus_(bus) {}

  // Set before the server starts. No store: nothing is kept (enabled() is false).
  void set(HistoryStore* store, HistoryWriter* writer) {
    store_ = store;
    writer_ = writer;
  }
  bool enabled() const noexcept { return store_ != nullptr; }
  bool answers_later() const noexcept { return writer_ != nullptr; }

  // Stamps and keeps `record`, then calls stored(true, record, epoch) (the record with
  // its id), or stored(false, record, {}) if the store failed. `from` is who sent it, for
  // the report of a failure. Records are answered in the order they are stored: by the
  // writer's StoredAnswers, or here under a lock.
  void append(const Peer& from, HistoryRecord record, HistoryWriter::Stored stored);
  // The page `query` finds in `scope`, or nothing if the store failed.
  void read(const Peer& from, std::string scope, HistoryQuery query, HistoryWriter::Found found);
  // Runs `visit` with the store where reads run (HistoryWriter::visit), or with null
  // when there is none any more.
  void visit(HistoryWriter::Visit visit);
  // A mark on the clock that stamps the records (HistoryClock::mark); any thread.
  std::int64_t mark();
  // Messages accepted and not yet in the store: 0 for a store that does not block,
  // which has each before it is answered.
  std::uint64_t backlog() { return writer_ ? writer_->backlog() : 0; }

 private:
  EventBus& bus_;
  HistoryStore* store_ = nullptr;
  HistoryWriter* writer_ = nullptr;
  // A store that does not block: records are stamped, appended and answered one at a
  // time, under inline_mutex_; the clock has a lock of its own, because a LOGIN marks it
  // under the Hub's lock, which an answer (a delivery) takes.
  std::mutex inline_mutex_;
  std::mutex clock_mutex_;
  HistoryClock inline_clock_;
};

}  // namespace socketchat::detail
