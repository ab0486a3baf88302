#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace socketchat {

// Immutable bytes with a shared count, made once and queued for any number of
// recipients: a message to N users is one allocation, not N copies.
class Payload {
 public:
  Payload() noexcept = default;
  static Payload copy_of(std::string_view bytes);

  Payload(const Payload& other) noexcept : block_(other.block_) { retain(); }
  Payload(Payload&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  Payload& operator=(Payload other) noexcept {
    std::swap(block_, other.block_);
    return *this;
  }
  ~Payload() { release(); }

  std::string_view view() const noexcept {
    return block_ ? std::string_view{block_->data, block_->size} : std::string_view{};
  }
  std::size_t size() const noexcept { return block_ ? block_->size : 0; }
  const char* data() const noexcept { return block_ ? block_->data : nullptr; }
  explicit operator bool() const noexcept { return block_ != nullptr; }

 private:
  struct Block {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
    char data[1];  // size bytes follow: allocated with the block
  };

  void retain() noexcept {
    if (block_) block_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void release() noexcept;

  Block* block_ = nullptr;
};

}  // namespace socketchat
