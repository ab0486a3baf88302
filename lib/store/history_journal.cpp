#include "store/history_journal.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace socketchat::detail {

namespace {

// A record: body length (4 bytes), checksum of the body (8), then the body: id (8),
// stamp (8), the lengths of scope, sender and text (4 each), and the three strings.
// Integers little-endian.
constexpr std::size_t header_bytes = 4 + crypto_shorthash_BYTES;
constexpr std::size_t fixed_body_bytes = 8 + 8 + 4 * 3;
static_assert(crypto_shorthash_BYTES == 8);

// SipHash with a fixed key: a checksum against torn writes, not a MAC.
const std::array<unsigned char, crypto_shorthash_KEYBYTES> checksum_key{};

void put(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

std::uint64_t get(const char* in, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  return value;
}

std::array<unsigned char, crypto_shorthash_BYTES> checksum(const char* body, std::size_t size) {
  std::array<unsigned char, crypto_shorthash_BYTES> sum{};
  crypto_shorthash(sum.data(), reinterpret_cast<const unsigned char*>(body), size,
                   checksum_key.data());
  return sum;
}

void append_record(std::string& out, const HistoryRecord& record) {
  const std::size_t start = out.size();
  const std::size_t body =
      fixed_body_bytes + record.scope.size() + record.from.size() + record.text.size();
  if (body > UINT32_MAX) throw std::length_error("history record too large for the journal");
  put(out, body, 4);
  out.append(crypto_shorthash_BYTES, '\0');  // the checksum, once the body is there
  put(out, record.id, 8);
  put(out, static_cast<std::uint64_t>(record.unix_ms), 8);
  put(out, record.scope.size(), 4);
  put(out, record.from.size(), 4);
  put(out, record.text.size(), 4);
  out += record.scope;
  out += record.from;
  out += record.text;
  auto sum = checksum(out.data() + start + header_bytes, body);
  std::memcpy(out.data() + start + 4, sum.data(), sum.size());
}

// The record at `in` (of `left` bytes), and its size; 0 when it is cut short or damaged.
std::size_t parse_record(const char* in, std::size_t left, HistoryRecord& record) {
  if (left < header_bytes) return 0;
  const std::size_t body = get(in, 4);
  if (body < fixed_body_bytes || body > left - header_bytes) return 0;
  const char* b = in + header_bytes;
  auto sum = checksum(b, body);
  if (std::memcmp(sum.data(), in + 4, sum.size()) != 0) return 0;
  const std::size_t scope = get(b + 16, 4), from = get(b + 20, 4), text = get(b + 24, 4);
  if (scope + from + text != body - fixed_body_bytes) return 0;
  const char* strings = b + fixed_body_bytes;
  record.id = get(b, 8);
  record.unix_ms = static_cast<std::int64_t>(get(b + 8, 8));
  record.scope.assign(strings, scope);
  record.from.assign(strings + scope, from);
  record.text.assign(strings + scope + from, text);
  return header_bytes + body;
}

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
  throw std::system_error(errno, std::generic_category(),
                          "history journal \"" + path.string() + "\": " + what);
}

}  // namespace

HistoryJournal::HistoryJournal(std::filesystem::path base) : base_(std::move(base)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  // The files of this base: "<base>.<digits>".
  const std::string prefix = base_.filename().string() + ".";
  std::vector<std::uint64_t> numbers;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(base_.parent_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix) || name.size() == prefix.size()) continue;
    std::uint64_t number = 0;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    auto [end, failed] = std::from_chars(first, last, number);
    if (failed == std::errc() && end == last) numbers.push_back(number);
  }
  std::sort(numbers.begin(), numbers.end());
  for (std::uint64_t number : numbers) {
    const std::size_t before = found_.size();
    read(path_of(number));
    files_.push_back({number, found_.size() > before ? found_.back().id : 0});
  }
  // Never after what is there: its end may be a cut-off record.
  start_file(numbers.empty() ? 1 : numbers.back() + 1);
}

HistoryJournal::~HistoryJournal() {
  if (fd_ >= 0) ::close(fd_);
}

std::filesystem::path HistoryJournal::path_of(std::uint64_t number) const {
  auto path = base_;
  path += "." + std::to_string(number);
  return path;
}

void HistoryJournal::read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot be read", path);
  std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::size_t at = 0;
  HistoryRecord record;
  while (std::size_t size = parse_record(bytes.data() + at, bytes.size() - at, record)) {
    found_.push_back(record);
    at += size;
  }
}

void HistoryJournal::start_file(std::uint64_t number) {
  const auto path = path_of(number);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot be created", path);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  size_ = 0;
  files_.push_back({number, 0});
}

void HistoryJournal::write(std::span<const HistoryRecord> records) {
  if (records.empty()) return;
  if (size_ >= file_bytes) start_file(files_.back().number + 1);
  buffer_.clear();
  for (const HistoryRecord& record : records) append_record(buffer_, record);
  std::size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::pwrite(fd_, buffer_.data() + done, buffer_.size() - done,
                         static_cast<off_t>(size_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      const int error = errno;
      (void)::ftruncate(fd_, static_cast<off_t>(size_));  // no cut-off record in the middle
      errno = error;
      fail("cannot be written", path_of(files_.back().number));
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += done;
  files_.back().last_id = records.back().id;
  // A burst's buffer does not stay.
  if (buffer_.capacity() > 64 * 1024) std::string().swap(buffer_);
}

std::vector<std::filesystem::path> HistoryJournal::indexed(std::uint64_t id) {
  std::vector<std::filesystem::path> done;
  if (files_.back().last_id != 0 && files_.back().last_id <= id && size_ >= file_bytes / 16) {
    try {
      start_file(files_.back().number + 1);
    } catch (const std::system_error&) {
      // Kept, and written on: a journal that cannot start a file still works.
    }
  }
  while (files_.size() > 1 && files_.front().last_id <= id) {
    done.push_back(path_of(files_.front().number));
    files_.pop_front();
  }
  return done;
}

void HistoryJournal::remove(const std::vector<std::filesystem::path>& files) noexcept {
  for (const auto& file : files) {
    std::error_code ignored;
    std::filesystem::remove(file, ignored);
  }
}

}  // namespace socketchat::detail
