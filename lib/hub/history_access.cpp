#include "hub/history_access.hpp"

#include "hub/peer_events.hpp"

namespace socketchat::detail {

void HistoryAccess::append(const Peer& from, HistoryRecord record, HistoryWriter::Stored stored) {
  if (writer_) return writer_->append(std::move(record), std::move(stored));
  bool kept = true;
  try {
    std::lock_guard lock(inline_mutex_);
    record.unix_ms = inline_clock_.stamp();
    store_->append({&record, 1});
  } catch (const std::exception& e) {
    kept = false;
    publish_failure(bus_, from, "history-write-failed", e.what());
  }
  stored(kept, record);
}

void HistoryAccess::latest(const Peer& from, std::string scope, std::size_t limit,
                           HistoryWriter::Found found) {
  if (writer_) return writer_->latest(std::move(scope), limit, std::move(found));
  std::optional<std::vector<HistoryRecord>> records;
  try {
    records = store_->latest(scope, limit);
  } catch (const std::exception& e) {
    publish_failure(bus_, from, "history-read-failed", e.what());
  } catch (...) {
    publish_failure(bus_, from, "history-read-failed", "unknown exception");
  }
  found(std::move(records));  // nothing, not "no history", when the read failed
}

std::int64_t HistoryAccess::mark() {
  if (writer_) return writer_->mark();
  std::lock_guard lock(inline_mutex_);
  return inline_clock_.mark();
}

}  // namespace socketchat::detail
