#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace socketchat::detail {

// The last whole list made from one of the Hub's tables (ROOMS from the rooms, WHO from
// the users), kept for whoever asks next before the table changes: asking again then
// costs no walk of the table. Its entries may point into the table (names), so they are
// read only while the Hub's lock is held and the table is still at their version.
// Callers hold the Hub's lock shared, any number at once: a small mutex guards the kept
// list; two askers at a new version may both make it, and either is kept.
template <class Entry>
class KeptList {
 public:
  struct Made {
    std::uint64_t version;
    std::vector<Entry> entries;
  };

  // The list at `version`: the kept one, or one made now by make(entries), then kept.
  template <class Make>
  std::shared_ptr<const Made> at(std::uint64_t version, Make make) {
    {
      std::lock_guard lock(mutex_);
      if (made_ && made_->version == version) return made_;
    }
    auto fresh = std::make_shared<Made>(Made{version, {}});
    make(fresh->entries);
    std::lock_guard lock(mutex_);
    made_ = fresh;
    return fresh;
  }

  // What was kept is no longer right at its version: make it anew next time.
  void forget() {
    std::lock_guard lock(mutex_);
    made_.reset();
  }

 private:
  std::mutex mutex_;
  std::shared_ptr<const Made> made_;
};

}  // namespace socketchat::detail
