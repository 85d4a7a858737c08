// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <thread>

#include "api/marker_record.hpp"

namespace jt {

// The open windows of the process, in a fixed table so that begin, end and add_items never
// lock or allocate. A handle is generation << 16 | slot: ending a window bumps nothing, but
// the next window in that slot gets a new generation, so an ended (or evicted) handle is
// recognised as unknown instead of reaching someone else's window.
class WindowTable {
 public:
  static constexpr std::size_t kMaxSlots = std::size_t{1} << 16;

  struct alignas(64) Slot {
    std::atomic<std::uint64_t> word{0};  // generation << 2 | phase
    std::atomic<std::uint32_t> pins{0};  // add_items calls inside the slot right now
    std::uint8_t name_length = 0;
    std::atomic<std::int64_t> begin_ns{0};
    std::atomic<std::uint64_t> items{0};
    char name[kMaxNameBytes];

    std::string_view name_view() const { return {name, name_length}; }
  };

  // `slots` is rounded up to a power of two, at most kMaxSlots.
  explicit WindowTable(std::size_t slots);
  WindowTable(const WindowTable&) = delete;
  WindowTable& operator=(const WindowTable&) = delete;

  std::size_t size() const { return mask_ + 1; }

  // Opens a window named by the first `name_length` bytes of `name`. `before_publish(handle,
  // slot)` runs after the slot is filled and before any other call can use the handle (the
  // begin record goes out there, so it always precedes the window's other records). When
  // every slot is open the oldest window is forgotten (counted in evictions()). Returns 0
  // only when all slots are being opened or closed at this very moment.
  template <typename Hook>
  std::uint64_t open(std::int64_t t_ns, const char* name, std::size_t name_length,
                     Hook&& before_publish) {
    const std::size_t index = claim();
    if (index == kNone) return 0;
    Slot& slot = slots_[index];
    const std::uint64_t generation = slot.word.load(std::memory_order_relaxed) >> 2;
    slot.begin_ns.store(t_ns, std::memory_order_relaxed);
    slot.items.store(0, std::memory_order_relaxed);
    slot.name_length = static_cast<std::uint8_t>(name_length);
    std::memcpy(slot.name, name, name_length);
    const std::uint64_t handle = generation << 16 | index;
    before_publish(handle, static_cast<const Slot&>(slot));
    slot.word.store(pack(generation, kOpen), std::memory_order_release);
    return handle;
  }

  // Runs `use(slot)` on an open window; false when the handle is unknown. The window cannot
  // end while `use` runs (end waits), so items are never added to a recycled slot.
  template <typename Use>
  bool with_open(std::uint64_t handle, Use&& use) {
    Slot* slot = slot_of(handle);
    if (slot == nullptr) return false;
    // Dekker-style with close(): pin, then look; close flips the phase, then waits for pins.
    slot->pins.fetch_add(1, std::memory_order_seq_cst);
    const bool open = slot->word.load(std::memory_order_seq_cst) == pack(handle >> 16, kOpen);
    if (open) use(*slot);
    slot->pins.fetch_sub(1, std::memory_order_release);
    return open;
  }

  // Ends an open window: `last_look(slot)` reads it one last time. False when the handle is
  // unknown (never opened, ended already, evicted, or from before jt_shutdown).
  template <typename Use>
  bool close(std::uint64_t handle, Use&& last_look) {
    Slot* slot = slot_of(handle);
    if (slot == nullptr) return false;
    const std::uint64_t generation = handle >> 16;
    std::uint64_t expected = pack(generation, kOpen);
    if (!slot->word.compare_exchange_strong(expected, pack(generation, kClosing),
                                            std::memory_order_seq_cst)) {
      return false;
    }
    wait_unpinned(*slot);
    last_look(static_cast<const Slot&>(*slot));
    slot->word.store(pack(generation, kFree), std::memory_order_release);
    return true;
  }

  // Forgets every open window (jt_shutdown).
  void clear();
  // Forgets everything without waiting: only in the child after fork(), the only thread.
  void reset_after_fork();
  std::uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  enum Phase : std::uint64_t { kFree = 0, kClaimed = 1, kOpen = 2, kClosing = 3 };
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  // Generations fit the 48 bits above the slot index of a handle.
  static constexpr std::uint64_t kGenerationMask = (std::uint64_t{1} << 48) - 1;

  static std::uint64_t pack(std::uint64_t generation, Phase phase) {
    return (generation & kGenerationMask) << 2 | phase;
  }
  static Phase phase_of(std::uint64_t word) { return static_cast<Phase>(word & 3); }
  static std::uint64_t next_generation(std::uint64_t word) {
    // Generation 0 is never used, so no handle is 0.
    const std::uint64_t next = ((word >> 2) + 1) & kGenerationMask;
    return next == 0 ? 1 : next;
  }
  static void wait_unpinned(const Slot& slot) {
    // Pins are held for a handful of instructions; yielding covers a preempted holder.
    while (slot.pins.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  }

  Slot* slot_of(std::uint64_t handle) {
    const std::size_t index = handle & 0xFFFF;
    if ((handle >> 16) == 0 || index > mask_) return nullptr;
    return &slots_[index];
  }
  // A free slot moved to kClaimed with the next generation, or kNone.
  std::size_t claim();
  std::size_t evict_oldest();

  std::size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace jt
