// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "api/marker_record.hpp"

namespace jt {

// A bounded multi-producer single-consumer queue of marker records (Vyukov's bounded queue:
// one sequence number per cell). Producers never block or allocate: a full ring refuses the
// record and the caller counts the drop. Only the flusher thread pops.
class MarkerRing {
 public:
  // `capacity` is rounded up to a power of two (at least 2).
  explicit MarkerRing(std::size_t capacity);
  MarkerRing(const MarkerRing&) = delete;
  MarkerRing& operator=(const MarkerRing&) = delete;

  std::size_t capacity() const { return mask_ + 1; }

  // Claims a cell, lets `fill(RawMarker&)` write the record in place and publishes it.
  // Returns false (nothing written) when the ring is full. `*position`, when given, receives
  // the record's sequence number (0, 1, 2 ... since construction or reset).
  template <typename Fill>
  bool try_push(Fill&& fill, std::uint64_t* position = nullptr) {
    std::uint64_t pos = enqueue_pos_.load(std::memory_order_relaxed);
    Cell* cell;
    for (;;) {
      cell = &cells_[pos & mask_];
      const std::uint64_t seq = cell->seq.load(std::memory_order_acquire);
      const auto diff = static_cast<std::int64_t>(seq - pos);
      if (diff == 0) {
        if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return false;  // the cell still holds a record from one lap ago: full
      } else {
        pos = enqueue_pos_.load(std::memory_order_relaxed);
      }
    }
    fill(cell->record);
    cell->seq.store(pos + 1, std::memory_order_release);
    // The next record's cell was last written by the consumer (freeing it), so touching it
    // costs a cache miss; fetching it for writing now hides that miss behind the program's work
    // until the next marker.
    __builtin_prefetch(&cells_[(pos + 1) & mask_], 1);
    if (position != nullptr) *position = pos;
    return true;
  }

  // Consumer only. False when the ring is empty or the next record is still being written.
  bool try_pop(RawMarker& out);
  // Consumer only: like try_pop, but `use(const RawMarker&)` reads the record in place.
  template <typename Use>
  bool try_consume(Use&& use) {
    Cell& cell = cells_[dequeue_pos_ & mask_];
    if (cell.seq.load(std::memory_order_acquire) != dequeue_pos_ + 1) return false;
    use(static_cast<const RawMarker&>(cell.record));
    // The cell becomes free for the producer that is one lap ahead.
    cell.seq.store(dequeue_pos_ + mask_ + 1, std::memory_order_release);
    ++dequeue_pos_;
    return true;
  }
  // Consumer only: whether try_pop would find a record now.
  bool ready() const;

  // Forgets every record. Only when no other thread uses the ring (the child after fork()).
  void reset();

 private:
  struct alignas(64) Cell {
    std::atomic<std::uint64_t> seq{0};
    RawMarker record;
  };

  std::size_t mask_;
  std::unique_ptr<Cell[]> cells_;
  // Producers and the consumer each own a cache line, so they do not bounce one between them.
  alignas(64) std::atomic<std::uint64_t> enqueue_pos_{0};
  alignas(64) std::uint64_t dequeue_pos_ = 0;
};

}  // namespace jt
