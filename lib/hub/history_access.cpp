#include "hub/history_access.hpp"

#include "hub/peer_events.hpp"

namespace socketchat::detail {

void HistoryAccess::append(const Peer& from, HistoryRecord record, HistoryWriter::Stored stored) {
  if (writer_) return writer_->append(std::move(record), std::move(stored));
  std::string epoch;
  std::string failure;
  bool kept = false;
  std::unique_lock lock(inline_mutex_);
  try {
    {
      std::lock_guard clock(clock_mutex_);
      record.unix_ms = inline_clock_.stamp();
    }
    store_->append({&record, 1});
    epoch = store_->epoch();
    kept = true;
  } catch (const std::exception& e) {
    failure = e.what();
  }
  // Answered still under the lock when kept: the next record is not stored before this
  // one is answered (delivered), so answers go in the order of the ids.
  if (kept) return stored(true, record, epoch);
  lock.unlock();
  publish_failure(bus_, from, "history-write-failed", failure);
  stored(false, record, {});
}

void HistoryAccess::read(const Peer& from, std::string scope, HistoryQuery query,
                         HistoryWriter::Found found) {
  if (writer_) return writer_->read(std::move(scope), std::move(query), std::move(found));
  std::optional<HistoryPage> records;
  try {
    records = read_page(*store_, scope, query);
  } catch (const std::exception& e) {
    publish_failure(bus_, from, "history-read-failed", e.what());
  } catch (...) {
    publish_failure(bus_, from, "history-read-failed", "unknown exception");
  }
  found(std::move(records));  // nothing, not "no history", when the read failed
}

void HistoryAccess::visit(HistoryWriter::Visit visit) {
  if (writer_) return writer_->visit(std::move(visit));
  visit(store_);
}

std::int64_t HistoryAccess::mark() {
  if (writer_) return writer_->mark();
  std::lock_guard lock(clock_mutex_);
  return inline_clock_.mark();
}

}  // namespace socketchat::detail
