// SPDX-License-Identifier: BSD-3-Clause
#include "api/marker_ring.hpp"

#include <bit>

namespace jt {

MarkerRing::MarkerRing(std::size_t capacity)
    : mask_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity) - 1),
      cells_(std::make_unique<Cell[]>(mask_ + 1)) {
  reset();
}

bool MarkerRing::try_pop(RawMarker& out) {
  return try_consume([&out](const RawMarker& record) { out = record; });
}

bool MarkerRing::ready() const {
  const Cell& cell = cells_[dequeue_pos_ & mask_];
  return cell.seq.load(std::memory_order_acquire) == dequeue_pos_ + 1;
}

void MarkerRing::reset() {
  for (std::size_t i = 0; i <= mask_; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
  enqueue_pos_.store(0, std::memory_order_relaxed);
  dequeue_pos_ = 0;
  std::atomic_thread_fence(std::memory_order_release);
}

}  // namespace jt
