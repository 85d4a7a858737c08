// SPDX-License-Identifier: BSD-3-Clause
#include "api/marker_ring.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace jt {
namespace {

bool push_id(MarkerRing& ring, std::uint64_t id) {
  return ring.try_push([id](RawMarker& r) {
    r.window_id = id;
    r.kind = MarkerKind::kBegin;
    r.name_length = 1;
    r.name[0] = 'x';
  });
}

TEST(MarkerRing, CapacityIsRoundedToAPowerOfTwo) {
  EXPECT_EQ(MarkerRing(5).capacity(), 8u);
  EXPECT_EQ(MarkerRing(8).capacity(), 8u);
  EXPECT_EQ(MarkerRing(0).capacity(), 2u);
}

TEST(MarkerRing, PopsInPushOrderAcrossManyLaps) {
  MarkerRing ring(8);
  std::uint64_t next_in = 0;
  std::uint64_t next_out = 0;
  RawMarker r;
  // Uneven push/pop batches so the positions wrap at every offset of the ring.
  for (int round = 0; round < 200; ++round) {
    const int pushes = 1 + round % 7;
    for (int i = 0; i < pushes; ++i) ASSERT_TRUE(push_id(ring, next_in++));
    for (int i = 0; i < pushes; ++i) {
      ASSERT_TRUE(ring.try_pop(r));
      EXPECT_EQ(r.window_id, next_out++);
    }
    EXPECT_FALSE(ring.ready());
    EXPECT_FALSE(ring.try_pop(r));
  }
  EXPECT_EQ(next_out, next_in);
}

TEST(MarkerRing, FullRingRefusesUntilAPopFreesACell) {
  MarkerRing ring(8);
  for (std::uint64_t i = 0; i < 8; ++i) ASSERT_TRUE(push_id(ring, i));
  int filled = 0;
  EXPECT_FALSE(ring.try_push([&](RawMarker&) { ++filled; }));
  EXPECT_EQ(filled, 0);  // a refused record is never written
  RawMarker r;
  ASSERT_TRUE(ring.try_pop(r));
  EXPECT_EQ(r.window_id, 0u);
  EXPECT_TRUE(push_id(ring, 8));
  EXPECT_FALSE(push_id(ring, 9));
  for (std::uint64_t i = 1; i <= 8; ++i) {
    ASSERT_TRUE(ring.try_pop(r));
    EXPECT_EQ(r.window_id, i);
  }
}

TEST(MarkerRing, PositionsCountFromZero) {
  MarkerRing ring(4);
  std::uint64_t position = 99;
  RawMarker r;
  for (std::uint64_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(ring.try_push([](RawMarker&) {}, &position));
    EXPECT_EQ(position, i);
    ASSERT_TRUE(ring.try_pop(r));
  }
}

TEST(MarkerRing, ResetForgetsEverything) {
  MarkerRing ring(4);
  for (std::uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(push_id(ring, i));
  ring.reset();
  RawMarker r;
  EXPECT_FALSE(ring.try_pop(r));
  ASSERT_TRUE(push_id(ring, 42));
  ASSERT_TRUE(ring.try_pop(r));
  EXPECT_EQ(r.window_id, 42u);
}

// Producers on several threads, the consumer on another: every record arrives exactly once,
// each producer's records in its own order. Producers retry when the ring is full.
TEST(MarkerRing, ConcurrentProducersLoseAndDuplicateNothing) {
  constexpr int kThreads = 4;
  constexpr std::uint64_t kPerThread = 50'000;
  MarkerRing ring(64);  // small, so that the full path is taken often
  std::atomic<bool> go{false};
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (std::uint64_t i = 0; i < kPerThread; ++i) {
        const std::uint64_t id = std::uint64_t(t) << 32 | i;
        while (!ring.try_push([&](RawMarker& r) {
          r.window_id = id;
          r.count = ~id;  // a second field, to catch a record read half-written
        })) {
          std::this_thread::yield();
        }
      }
    });
  }
  std::vector<std::uint64_t> next(kThreads, 0);
  std::uint64_t received = 0;
  bool torn = false;
  go.store(true);
  RawMarker r;
  while (received < kThreads * kPerThread) {
    if (!ring.try_pop(r)) {
      std::this_thread::yield();
      continue;
    }
    const auto t = static_cast<std::size_t>(r.window_id >> 32);
    ASSERT_LT(t, next.size());
    ASSERT_EQ(r.window_id & 0xFFFFFFFF, next[t]) << "thread " << t;
    torn |= r.count != ~r.window_id;
    ++next[t];
    ++received;
  }
  for (auto& p : producers) p.join();
  EXPECT_FALSE(torn);
  EXPECT_FALSE(ring.try_pop(r));
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread);
}

// Without retries: what the ring refuses plus what the consumer gets is all that was pushed.
TEST(MarkerRing, RefusedRecordsAreExactlyTheMissingOnes) {
  constexpr int kThreads = 4;
  constexpr std::uint64_t kPerThread = 20'000;
  MarkerRing ring(32);
  std::atomic<std::uint64_t> refused{0};
  std::atomic<int> done{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&] {
      for (std::uint64_t i = 0; i < kPerThread; ++i) {
        if (!push_id(ring, i)) refused.fetch_add(1);
      }
      done.fetch_add(1);
    });
  }
  std::uint64_t received = 0;
  RawMarker r;
  for (;;) {
    const bool finished = done.load() == kThreads;
    while (ring.try_pop(r)) ++received;
    if (finished) break;
    std::this_thread::yield();
  }
  for (auto& p : producers) p.join();
  while (ring.try_pop(r)) ++received;
  EXPECT_EQ(received + refused.load(), kThreads * kPerThread);
}

}  // namespace
}  // namespace jt
