#pragma once

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>

#include "socketchat/history_store.hpp"

namespace socketchat::detail {

// A read as the server asks it: `range`, unless `epoch` (that of the asker's id) is not
// the store's, when the asker's place is in a history that is gone: then the latest
// range.limit records if `latest_if_reset`, else none, and the page says reset.
struct HistoryQuery {
  HistoryRange range{};
  std::string epoch{};  // empty: any
  bool latest_if_reset = false;
  // A second range whose records follow the first's (AROUND: the later half).
  std::optional<HistoryRange> also{};
};

// Runs `query` on `store` (which may throw), the page's epoch set.
inline HistoryPage read_page(HistoryStore& store, const std::string& scope,
                             const HistoryQuery& query) {
  std::string epoch = store.epoch();
  HistoryPage page;
  if (query.epoch.empty() || query.epoch == epoch) {
    page = store.read(scope, query.range);
    if (query.also) {
      HistoryPage later = store.read(scope, *query.also);
      page.records.insert(page.records.end(), std::make_move_iterator(later.records.begin()),
                          std::make_move_iterator(later.records.end()));
      page.last_id = std::max(page.last_id, later.last_id);
    }
  } else {
    if (query.latest_if_reset) page = store.read(scope, {.limit = query.range.limit});
    page.reset = true;
    page.gap = false;
  }
  page.epoch = std::move(epoch);
  return page;
}

}  // namespace socketchat::detail
