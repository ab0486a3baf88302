#include "socketchat/payload.hpp"

#include <cstring>
#include <new>
#include <stdexcept>

namespace socketchat {

Payload Payload::copy_of(std::string_view bytes) {
  if (bytes.size() > UINT32_MAX) throw std::length_error("payload too large");
  void* memory = ::operator new(offsetof(Block, data) + bytes.size() + 1);
  auto* block = ::new (memory) Block{{1}, static_cast<std::uint32_t>(bytes.size()), {}};
  std::memcpy(block->data, bytes.data(), bytes.size());
  Payload payload;
  payload.block_ = block;
  return payload;
}

void Payload::release() noexcept {
  if (block_ && block_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    block_->~Block();
    ::operator delete(block_);
  }
  block_ = nullptr;
}

}  // namespace socketchat
