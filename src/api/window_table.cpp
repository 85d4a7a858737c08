// SPDX-License-Identifier: BSD-3-Clause
#include "api/window_table.hpp"

#include <pthread.h>

#include <bit>
#include <cstdint>

namespace jt {

WindowTable::WindowTable(std::size_t slots)
    : mask_(std::bit_ceil(slots < 1 ? std::size_t{1} : (slots > kMaxSlots ? kMaxSlots : slots)) -
            1),
      slots_(std::make_unique<Slot[]>(mask_ + 1)) {}

std::size_t WindowTable::claim() {
  // Each thread starts looking at a slot of its own (a hash of its pthread_t, which is cheap to
  // get): a thread that begins and ends windows keeps reusing the same cache line, and threads
  // do not contend for a shared cursor nor for each other's slots.
  const auto self = static_cast<std::uint64_t>(::pthread_self());  // an integer on glibc
  const std::uint64_t start = (self * 0x9E3779B97F4A7C15ull) >> 32;
  for (std::size_t i = 0; i <= mask_; ++i) {
    const std::size_t index = (start + i) & mask_;
    Slot& slot = slots_[index];
    std::uint64_t word = slot.word.load(std::memory_order_relaxed);
    if (phase_of(word) != kFree) continue;
    if (slot.word.compare_exchange_strong(word, pack(next_generation(word), kClaimed),
                                          std::memory_order_acquire)) {
      return index;
    }
  }
  return evict_oldest();
}

std::size_t WindowTable::evict_oldest() {
  // Every slot is open: windows that were never ended (an exception skipped the end) must
  // not block new ones forever, so the oldest is forgotten. Rare, so a scan is fine.
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::size_t oldest = kNone;
    std::uint64_t oldest_word = 0;
    std::int64_t oldest_ns = 0;
    for (std::size_t index = 0; index <= mask_; ++index) {
      const Slot& slot = slots_[index];
      const std::uint64_t word = slot.word.load(std::memory_order_acquire);
      if (phase_of(word) != kOpen) continue;
      const std::int64_t begin_ns = slot.begin_ns.load(std::memory_order_relaxed);
      if (oldest == kNone || begin_ns < oldest_ns) {
        oldest = index;
        oldest_word = word;
        oldest_ns = begin_ns;
      }
    }
    if (oldest == kNone) {
      // No open slot: perhaps one was freed meanwhile.
      for (std::size_t index = 0; index <= mask_; ++index) {
        Slot& slot = slots_[index];
        std::uint64_t word = slot.word.load(std::memory_order_relaxed);
        if (phase_of(word) == kFree &&
            slot.word.compare_exchange_strong(word, pack(next_generation(word), kClaimed),
                                              std::memory_order_acquire)) {
          return index;
        }
      }
      continue;
    }
    Slot& slot = slots_[oldest];
    std::uint64_t expected = oldest_word;
    if (!slot.word.compare_exchange_strong(expected, pack(oldest_word >> 2, kClosing),
                                           std::memory_order_seq_cst)) {
      continue;  // ended or evicted by someone else meanwhile: look again
    }
    wait_unpinned(slot);
    slot.word.store(pack(next_generation(oldest_word), kClaimed), std::memory_order_relaxed);
    evictions_.fetch_add(1, std::memory_order_relaxed);
    return oldest;
  }
  return kNone;
}

void WindowTable::clear() {
  for (std::size_t index = 0; index <= mask_; ++index) {
    Slot& slot = slots_[index];
    std::uint64_t word = slot.word.load(std::memory_order_acquire);
    if (phase_of(word) != kOpen) continue;
    if (slot.word.compare_exchange_strong(word, pack(word >> 2, kClosing),
                                          std::memory_order_seq_cst)) {
      wait_unpinned(slot);
      slot.word.store(pack(word >> 2, kFree), std::memory_order_release);
    }
  }
}

void WindowTable::reset_after_fork() {
  for (std::size_t index = 0; index <= mask_; ++index) {
    Slot& slot = slots_[index];
    // Keep the generation so that no handle repeats within the child either.
    const std::uint64_t word = slot.word.load(std::memory_order_relaxed);
    slot.word.store(pack(word >> 2, kFree), std::memory_order_relaxed);
    slot.pins.store(0, std::memory_order_relaxed);
  }
}

}  // namespace jt
