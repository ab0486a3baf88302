// The Hub's list of a user's conversations (IRC's CHATHISTORY TARGETS): the public feed,
// its rooms and its DMs, each with the time of its latest message between two times.
#include <algorithm>
#include <exception>

#include "hub/hub.hpp"
#include "hub/peer_events.hpp"
#include "util/text.hpp"

namespace socketchat::detail {

namespace {

// A place the asker may read: its scope, what the asker calls it ("*", "#<room>"; empty
// for a DM, named by its other user), and the earliest stamp it may see there.
struct Conversation {
  std::string scope{};
  std::string name{};
  std::int64_t since_ms = 0;
};

// What the store gave: one record per conversation (scope: its name; unix_ms: its latest
// message), or a failure.
struct Found {
  std::vector<HistoryRecord> conversations{};
  bool failed = false;
  std::string failure{};  // what the store said; empty: it was not reached
};

// The other user of a DM's scope "@<a>|<b>" (the asker itself for its DMs to itself), as
// its own message spells it when the latest is one.
std::string other_of(std::string_view scope, std::string_view asker, const HistoryRecord& latest) {
  const std::size_t bar = scope.find('|');
  std::string_view other = scope.substr(1, bar - 1);
  if (other == asker) other = scope.substr(bar + 1);
  if (iequals_ascii(latest.from, other)) return latest.from;
  return std::string(other);
}

// Each conversation's latest message strictly between `after_ms` and `before_ms`, those
// that have one, ordered by it: the first `limit` of them, or the last when not `forward`.
std::vector<HistoryRecord> latest_of(HistoryStore& store, std::vector<Conversation> places,
                                     const std::string& asker, std::int64_t dm_since_ms,
                                     std::int64_t after_ms, std::int64_t before_ms, bool forward,
                                     std::size_t limit) {
  for (auto& scope : store.direct_scopes(asker)) {
    places.push_back({.scope = std::move(scope), .since_ms = dm_since_ms});
  }
  std::vector<HistoryRecord> found;
  for (const Conversation& place : places) {
    const HistoryRange range{.limit = 1,
                             .newest = true,
                             .after_ms = std::max(after_ms, place.since_ms - 1),
                             .before_ms = before_ms};
    HistoryPage page = store.read(place.scope, range);
    if (page.records.empty()) continue;
    const HistoryRecord& latest = page.records.back();
    found.push_back(
        {.scope = place.name.empty() ? other_of(place.scope, asker, latest) : place.name,
         .unix_ms = latest.unix_ms});
  }
  std::sort(found.begin(), found.end(), [](const HistoryRecord& a, const HistoryRecord& b) {
    return a.unix_ms != b.unix_ms ? a.unix_ms < b.unix_ms : a.scope < b.scope;
  });
  if (found.size() > limit) {
    if (forward) {
      found.erase(found.begin() + static_cast<std::ptrdiff_t>(limit), found.end());
    } else {
      found.erase(found.begin(), found.end() - static_cast<std::ptrdiff_t>(limit));
    }
  }
  return found;
}

}  // namespace

Hub::After Hub::conversations(Peer& from, const Command& command, std::size_t limit) {
  if (command.anchor_ms == 0 || command.anchor_ms_2 == 0) {
    reply_error(from, ReplyError::invalid_id);
    return After::stay;
  }
  const std::int64_t after_ms = std::min(command.anchor_ms, command.anchor_ms_2);
  const std::int64_t before_ms = std::max(command.anchor_ms, command.anchor_ms_2);
  const bool forward = command.anchor_ms <= command.anchor_ms_2;
  if (!history_.enabled()) {
    reply_list(from, {.notice = Notice::conversations, .history_forward = forward});
    return After::stay;
  }
  std::vector<Conversation> places{{.scope = "*", .name = "*"}};
  {
    std::shared_lock lock(mutex_);  // the rooms it is in now, as they are spelled
    std::vector<std::string> keys;
    directory_->rooms_of(from, keys);
    for (const auto& key : keys) {
      places.push_back(
          {.scope = room_scope(key), .name = "#" + std::string(directory_->room_name(key))});
    }
  }
  // A guest reads the DMs of this session only (PROTOCOL.md, History).
  const std::int64_t dm_since_ms = from.login_unix_ms();
  return answered(
      from, history_.answers_later(), After::wait,
      [&](auto done) {
        history_.visit([places = std::move(places), asker = ascii_lower(from.name()), dm_since_ms,
                        after_ms, before_ms, forward, limit, done](HistoryStore* store) mutable {
          Found found{.failed = store == nullptr};
          if (store) {
            try {
              found.conversations = latest_of(*store, std::move(places), asker, dm_since_ms,
                                              after_ms, before_ms, forward, limit);
            } catch (const std::exception& e) {
              found = {.failed = true, .failure = e.what()};
            }
          }
          done(found);
        });
      },
      [this, forward](Peer& asker, Found& found) {
        if (found.failed) {
          if (!found.failure.empty()) {
            publish_failure(bus_, asker, "history-read-failed", found.failure);
          }
          return reply_error(asker, ReplyError::storage_failed);
        }
        reply_list(asker, {.notice = Notice::conversations,
                           .history = found.conversations,
                           .history_forward = forward});
      });
}

}  // namespace socketchat::detail
