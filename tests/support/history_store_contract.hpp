#pragma once

// What every HistoryStore promises about message ids (include/socketchat/history_store.hpp,
// PROTOCOL.md "Message ids"), checked on a store that starts empty: each of the stores'
// own tests runs it.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "socketchat/history_store.hpp"

namespace socketchat::test {

inline std::vector<std::string> texts_of(const std::vector<HistoryRecord>& records) {
  std::vector<std::string> texts;
  for (const auto& r : records) texts.push_back(r.text);
  return texts;
}

// Stamps: the first four old (1970), the rest recent, so that a prune at `cutoff`
// removes the first four, in a store that prunes by the records' stamps; one that
// prunes by its own clock (Redis) is only emptied.
inline void check_message_ids(HistoryStore& store, bool prunes_by_stamps = true) {
  using Texts = std::vector<std::string>;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<HistoryRecord> batch{
      {.scope = "#a", .unix_ms = 1, .from = "ann", .text = "a1"},
      {.scope = "*", .unix_ms = 2, .from = "ann", .text = "p1"},
      {.scope = "#a", .unix_ms = 3, .from = "bob", .text = "a2"},
      {.scope = "#b", .unix_ms = 4, .from = "bob", .text = "b1"},
  };
  store.append(batch);
  std::vector<HistoryRecord> later{
      {.scope = "#a", .unix_ms = now_ms, .from = "ann", .text = "a3"},
      {.scope = "#a", .unix_ms = now_ms, .from = "cy", .text = "a4"},
      {.scope = "#a", .unix_ms = now_ms, .from = "cy", .text = "a5"},
  };
  store.append(later);
  batch.insert(batch.end(), later.begin(), later.end());

  // Ids: from 1 up, rising in the order stored, across scopes; one epoch.
  const std::string epoch = store.epoch();
  REQUIRE(!epoch.empty());
  CHECK(epoch.size() <= 16);
  CHECK(std::all_of(epoch.begin(), epoch.end(),
                    [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); }));
  for (std::size_t i = 0; i < batch.size(); ++i) {
    CAPTURE(i);
    CHECK(batch[i].id >= 1);
    if (i > 0) CHECK(batch[i].id > batch[i - 1].id);
  }
  const auto id = [&](std::size_t i) { return batch[i].id; };  // a1 p1 a2 b1 a3 a4 a5
  const auto last = id(6);

  // Reads keep the ids; ranges exclude both ends; oldest first either way.
  auto page = store.read("#a", {.limit = 10});
  CHECK(texts_of(page.records) == Texts{"a1", "a2", "a3", "a4", "a5"});
  CHECK(page.records[1].id == id(2));
  CHECK(page.last_id == last);
  CHECK_FALSE(page.gap);
  CHECK(texts_of(store.read("#a", {.limit = 2}).records) == Texts{"a4", "a5"});
  CHECK(texts_of(store.read("#a", {.after = id(0), .limit = 2, .newest = false}).records) ==
        Texts{"a2", "a3"});
  CHECK(texts_of(store.read("#a", {.after = id(1), .limit = 10, .newest = false}).records) ==
        Texts{"a2", "a3", "a4", "a5"});  // an id of another scope is a place in time
  CHECK(texts_of(store.read("#a", {.before = id(5), .limit = 2}).records) == Texts{"a2", "a3"});
  CHECK(texts_of(store.read("#a", {.after = id(0), .before = id(5), .limit = 10}).records) ==
        Texts{"a2", "a3"});
  CHECK(store.read("#a", {.after = last, .limit = 10}).records.empty());
  CHECK(store.read("#a", {.after = last, .limit = 0}).records.empty());
  CHECK(store.read("#none", {.limit = 10}).records.empty());
  CHECK(texts_of(store.latest("#a", 1)) == Texts{"a5"});
  // Stamps bound a range as ids do (both excluded): a1..a2 are stamped 1 and 3.
  CHECK(texts_of(store.read("#a", {.limit = 10, .newest = false, .after_ms = 1}).records) ==
        Texts{"a2", "a3", "a4", "a5"});
  CHECK(texts_of(store.read("#a", {.limit = 10, .before_ms = 4}).records) == Texts{"a1", "a2"});
  CHECK(texts_of(store.read("#a", {.limit = 10, .after_ms = 1, .before_ms = 3}).records).empty());

  if (prunes_by_stamps) {
    // A prune: whoever asks after an id below what it removed may have lost records.
    const auto cutoff = std::chrono::system_clock::time_point(std::chrono::milliseconds(1000));
    CHECK(store.prune(cutoff) == 4);
    CHECK(texts_of(store.read("#a", {.limit = 10}).records) == Texts{"a3", "a4", "a5"});
    CHECK(store.read("#a", {.after = id(0), .limit = 10}).gap);
    CHECK_FALSE(store.read("#a", {.after = id(3), .limit = 10}).gap);  // b1: the last removed
    CHECK_FALSE(store.read("#a", {.after = id(4), .limit = 10}).gap);
    CHECK(store.read("#b", {.after = 0, .limit = 10}).gap);
    CHECK(store.epoch() == epoch);
  }

  // Everything removed: the ids given are never given again.
  CHECK(store.prune(std::chrono::system_clock::now() + std::chrono::hours(1)) > 0);
  CHECK(store.read("#a", {.after = id(5), .limit = 10}).gap);  // a5 is gone
  std::vector<HistoryRecord> after_all{
      {.scope = "#a", .unix_ms = now_ms, .from = "ann", .text = "new"}};
  store.append(after_all);
  CHECK(after_all[0].id > last);
  CHECK(store.read("#a", {.after = id(5), .limit = 10}).gap);
  CHECK_FALSE(store.read("#a", {.after = last, .limit = 10}).gap);  // nothing after it was lost
  CHECK(store.read("#a", {.after = after_all[0].id, .limit = 10}).records.empty());
  CHECK(store.read("#a", {.limit = 10}).last_id == after_all[0].id);
}

// direct_scopes(): the DMs a user has had, found by its name in any case, and never
// those of a name it only starts or ends (al, alice; bob, xbob).
inline void check_direct_scopes(HistoryStore& store) {
  auto dm = [](std::string_view a, std::string_view b, std::string text) {
    return HistoryRecord{
        .scope = dm_scope(a, b), .unix_ms = 1000, .from = std::string(a), .text = std::move(text)};
  };
  std::vector<HistoryRecord> records{dm("Alice", "bob", "1"),
                                     dm("carol", "alice", "2"),
                                     dm("al", "xbob", "3"),
                                     dm("alice", "alice", "4"),
                                     {.scope = "#alice", .unix_ms = 1000, .from = "x", .text = "5"},
                                     {.scope = "*", .unix_ms = 1000, .from = "alice", .text = "6"}};
  store.append(records);
  auto scopes_of = [&](std::string_view user) {
    auto scopes = store.direct_scopes(user);
    std::sort(scopes.begin(), scopes.end());
    return scopes;
  };
  using Scopes = std::vector<std::string>;
  CHECK(scopes_of("ALICE") == Scopes{"@alice|alice", "@alice|bob", "@alice|carol"});
  CHECK(scopes_of("bob") == Scopes{"@alice|bob"});
  CHECK(scopes_of("xbob") == Scopes{"@al|xbob"});
  CHECK(scopes_of("al") == Scopes{"@al|xbob"});
  CHECK(scopes_of("ob").empty());
  CHECK(scopes_of("dave").empty());
}

}  // namespace socketchat::test
