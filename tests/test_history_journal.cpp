// HistoryJournal: what it writes it reads back when opened again, exactly; a record cut
// short or damaged ends what is read, never garbage; files roll over and go once
// indexed.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/history_journal.hpp"
#include "support/temp_dir.hpp"

using socketchat::HistoryRecord;
using socketchat::detail::HistoryJournal;
namespace fs = std::filesystem;

namespace {

struct JournalDir : socketchat::test::TempDir {
  JournalDir() : TempDir("socketchat-journal") {}
  fs::path base() const { return path / "history.db-aof"; }
  std::vector<fs::path> files() const {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(path)) found.push_back(entry.path());
    return found;
  }
};

HistoryRecord record(std::uint64_t id, std::string text) {
  return {.scope = "#room",
          .unix_ms = 1700000000000 + static_cast<std::int64_t>(id),
          .from = "ann",
          .text = std::move(text),
          .id = id};
}

std::vector<std::uint64_t> ids(const std::vector<HistoryRecord>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& r : records) out.push_back(r.id);
  return out;
}

std::uintmax_t bytes_of(const fs::path& file) {
  return fs::file_size(file);
}

}  // namespace

TEST_CASE("records written are read back when the journal is opened again, byte for byte") {
  JournalDir dir;
  std::string odd("quote \" backslash \\ newline \n nul");
  odd.push_back('\0');
  odd += "\xff\xfe end";
  {
    HistoryJournal journal(dir.base());
    CHECK(journal.found().empty());
    std::vector<HistoryRecord> batch{record(1, "first"), record(2, odd)};
    journal.write(batch);
    std::vector<HistoryRecord> empty_text{
        {.scope = "@ann|bob", .unix_ms = -5, .from = "bob", .text = "", .id = 3}};
    journal.write(empty_text);
  }  // a crash: nothing was indexed
  HistoryJournal reopened(dir.base());
  const auto& found = reopened.found();
  REQUIRE(found.size() == 3);
  CHECK(found[0].text == "first");
  CHECK(found[1].text == odd);
  CHECK(found[1].scope == "#room");
  CHECK(found[1].from == "ann");
  CHECK(found[1].unix_ms == 1700000000002);
  CHECK(found[2].scope == "@ann|bob");
  CHECK(found[2].from == "bob");
  CHECK(found[2].text.empty());
  CHECK(found[2].unix_ms == -5);
  CHECK(ids(found) == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("a record cut short by a crash ends what is read, in every place it can be cut") {
  JournalDir dir;
  fs::path file;
  std::uintmax_t whole = 0, first_two = 0;
  {
    HistoryJournal journal(dir.base());
    std::vector<HistoryRecord> two{record(1, "one"), record(2, "two")};
    journal.write(two);
    file = dir.files().at(0);
    first_two = bytes_of(file);
    std::vector<HistoryRecord> third{record(3, "the third, cut short")};
    journal.write(third);
    whole = bytes_of(file);
  }
  const std::string bytes = [&] {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  for (std::uintmax_t cut = first_two; cut < whole; ++cut) {
    JournalDir copy;
    std::ofstream(copy.path / file.filename(), std::ios::binary)
        .write(bytes.data(), static_cast<long>(cut));
    HistoryJournal reopened(copy.base());
    CHECK_MESSAGE((ids(reopened.found()) == std::vector<std::uint64_t>{1, 2}), "cut at ", cut);
  }
}

TEST_CASE("a damaged byte anywhere in a record ends what is read at that record") {
  JournalDir dir;
  fs::path file;
  std::uintmax_t first = 0, whole = 0;
  {
    HistoryJournal journal(dir.base());
    std::vector<HistoryRecord> one{record(1, "kept")};
    journal.write(one);
    file = dir.files().at(0);
    first = bytes_of(file);
    std::vector<HistoryRecord> two{record(2, "damaged"), record(3, "after it")};
    journal.write(two);
    whole = bytes_of(file);
  }
  const std::string bytes = [&] {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  const std::uintmax_t second_end = first + (whole - first) / 2;  // both records are alike
  for (std::uintmax_t at = first; at < second_end; ++at) {
    JournalDir copy;
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
    std::ofstream(copy.path / file.filename(), std::ios::binary)
        .write(flipped.data(), static_cast<long>(flipped.size()));
    HistoryJournal reopened(copy.base());
    CHECK_MESSAGE((ids(reopened.found()) == std::vector<std::uint64_t>{1}), "byte ", at);
  }
}

TEST_CASE("opening starts a new file after those found, which stay until indexed") {
  JournalDir dir;
  {
    HistoryJournal journal(dir.base());
    std::vector<HistoryRecord> one{record(1, "one")};
    journal.write(one);
  }
  HistoryJournal reopened(dir.base());
  CHECK(reopened.files() == 2);  // what was found, and the one written from now on
  std::vector<HistoryRecord> two{record(2, "two")};
  reopened.write(two);
  auto done = reopened.indexed(1);  // the old file held nothing newer
  REQUIRE(done.size() == 1);
  CHECK(fs::exists(done[0]));  // the caller removes it, outside its lock
  HistoryJournal::remove(done);
  CHECK(reopened.files() == 1);
  CHECK(dir.files().size() == 1);
  // A small file being written stays when all it holds is indexed: after a crash its
  // records are read again, and the index skips those it has.
  CHECK(reopened.indexed(2).empty());
  std::vector<HistoryRecord> three{record(3, "three")};
  reopened.write(three);
  HistoryJournal after_crash(dir.base());
  CHECK(ids(after_crash.found()) == std::vector<std::uint64_t>{2, 3});
}

TEST_CASE("files roll over at file_bytes, and go when every record in them is indexed") {
  JournalDir dir;
  HistoryJournal journal(dir.base());
  const std::string text(1000, 'x');
  std::uint64_t id = 0;
  while (journal.files() < 3) {
    std::vector<HistoryRecord> batch{record(++id, text)};
    journal.write(batch);
  }
  CHECK(dir.files().size() == 3);
  for (const auto& file : dir.files()) CHECK(bytes_of(file) <= HistoryJournal::file_bytes + 1100);
  // Indexed up to a record inside the second file: only the first goes.
  const std::uint64_t in_second = id - 2;
  HistoryJournal::remove(journal.indexed(in_second));
  CHECK(dir.files().size() == 2);
  HistoryJournal::remove(journal.indexed(id));
  CHECK(dir.files().size() == 1);  // the third, small, stays
  // Once the file being written holds a sixteenth of file_bytes, all of it indexed, the
  // next one is started and it goes too.
  while (bytes_of(dir.files().at(0)) < HistoryJournal::file_bytes / 16) {
    std::vector<HistoryRecord> batch{record(++id, text)};
    journal.write(batch);
  }
  auto done = journal.indexed(id);
  CHECK(done.size() == 1);
  HistoryJournal::remove(done);
  REQUIRE(dir.files().size() == 1);
  CHECK(bytes_of(dir.files().at(0)) == 0);
  HistoryJournal reopened(dir.base());
  CHECK(reopened.found().empty());
}

TEST_CASE("other files beside the journal are left alone") {
  JournalDir dir;
  std::ofstream(dir.path / "history.db") << "not ours";
  std::ofstream(dir.path / "history.db-aof.notanumber") << "not ours";
  std::ofstream(dir.path / "history.db-aofx.1") << "not ours";
  {
    HistoryJournal journal(dir.base());
    std::vector<HistoryRecord> one{record(1, "one")};
    journal.write(one);
    HistoryJournal::remove(journal.indexed(1));
  }
  CHECK(fs::exists(dir.path / "history.db"));
  CHECK(fs::exists(dir.path / "history.db-aof.notanumber"));
  CHECK(fs::exists(dir.path / "history.db-aofx.1"));
}
