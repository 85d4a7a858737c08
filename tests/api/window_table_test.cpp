// SPDX-License-Identifier: BSD-3-Clause
#include "api/window_table.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace jt {
namespace {

std::uint64_t open(WindowTable& table, std::string_view name, std::int64_t t_ns = 0) {
  return table.open(t_ns, name.data(), name.size(), [](std::uint64_t, const auto&) {});
}

TEST(WindowTable, HandlesAreNonZeroAndNeverRepeat) {
  WindowTable table(4);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t h = open(table, "w");
    ASSERT_NE(h, 0u);
    EXPECT_TRUE(seen.insert(h).second) << h;
    ASSERT_TRUE(table.close(h, [](const auto&) {}));
  }
}

TEST(WindowTable, SlotHoldsNameBeginAndItemsUntilClosed) {
  WindowTable table(8);
  const std::uint64_t h = open(table, "train", 1234);
  EXPECT_TRUE(table.with_open(h, [](WindowTable::Slot& s) { s.items.fetch_add(5); }));
  EXPECT_TRUE(table.with_open(h, [](WindowTable::Slot& s) { s.items.fetch_add(7); }));
  std::string name;
  std::int64_t begin = 0;
  std::uint64_t items = 0;
  ASSERT_TRUE(table.close(h, [&](const WindowTable::Slot& s) {
    name = std::string(s.name_view());
    begin = s.begin_ns.load();
    items = s.items.load();
  }));
  EXPECT_EQ(name, "train");
  EXPECT_EQ(begin, 1234);
  EXPECT_EQ(items, 12u);
}

TEST(WindowTable, EndedAndRecycledHandlesAreUnknown) {
  WindowTable table(1);  // one slot: the next window reuses it at once
  const std::uint64_t first = open(table, "a");
  ASSERT_TRUE(table.close(first, [](const auto&) {}));
  EXPECT_FALSE(table.close(first, [](const auto&) {}));  // double end
  const std::uint64_t second = open(table, "b");
  ASSERT_NE(second, first);
  EXPECT_FALSE(table.with_open(first, [](auto&) { FAIL() << "reached a recycled slot"; }));
  EXPECT_FALSE(table.close(first, [](const auto&) {}));
  EXPECT_TRUE(table.close(second, [](const auto&) {}));
}

TEST(WindowTable, GarbageHandlesAreUnknown) {
  WindowTable table(4);
  const std::uint64_t h = open(table, "a");
  for (std::uint64_t bad : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0xFFFF},
                            h + (std::uint64_t{1} << 16), h ^ 1, ~std::uint64_t{0}}) {
    EXPECT_FALSE(table.with_open(bad, [](auto&) {})) << bad;
    EXPECT_FALSE(table.close(bad, [](const auto&) {})) << bad;
  }
  EXPECT_TRUE(table.close(h, [](const auto&) {}));
}

TEST(WindowTable, WhenFullTheOldestWindowIsForgotten) {
  WindowTable table(4);
  std::vector<std::uint64_t> handles;
  for (int i = 0; i < 4; ++i) handles.push_back(open(table, "w", 100 + i));
  const std::uint64_t fifth = open(table, "w", 200);
  ASSERT_NE(fifth, 0u);
  EXPECT_EQ(table.evictions(), 1u);
  EXPECT_FALSE(table.close(handles[0], [](const auto&) {}));  // begun first
  for (int i = 1; i < 4; ++i) EXPECT_TRUE(table.close(handles[i], [](const auto&) {}));
  EXPECT_TRUE(table.close(fifth, [](const auto&) {}));
}

TEST(WindowTable, ClearForgetsOpenWindows) {
  WindowTable table(8);
  const std::uint64_t a = open(table, "a");
  const std::uint64_t b = open(table, "b");
  table.clear();
  EXPECT_FALSE(table.close(a, [](const auto&) {}));
  EXPECT_FALSE(table.with_open(b, [](auto&) {}));
  EXPECT_NE(open(table, "c"), 0u);
}

TEST(WindowTable, BeforePublishRunsWithTheHandleItReturns) {
  WindowTable table(8);
  std::uint64_t seen = 0;
  const std::uint64_t h = table.open(5, "x", 1, [&](std::uint64_t handle, const auto& slot) {
    seen = handle;
    EXPECT_EQ(slot.name_view(), "x");
  });
  EXPECT_EQ(seen, h);
}

// Threads open, count into and close their own windows while others poke at stale handles:
// every window gets exactly its own items, and stale handles never reach a live window.
TEST(WindowTable, ConcurrentUseKeepsWindowsApart) {
  constexpr int kThreads = 4;
  constexpr int kWindows = 5000;
  WindowTable table(16);
  std::atomic<std::uint64_t> last_closed{0};
  std::atomic<int> wrong{0};
  std::atomic<bool> stop{false};
  std::thread poker([&] {
    while (!stop.load()) {
      const std::uint64_t stale = last_closed.load();
      if (stale != 0 && table.with_open(stale, [](auto& s) { s.items.fetch_add(1000000); })) {
        wrong.fetch_add(1);
      }
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < kWindows; ++i) {
        const std::string name = "t" + std::to_string(t);
        const std::uint64_t h = open(table, name);
        const std::uint64_t n = static_cast<std::uint64_t>(i % 5);
        for (std::uint64_t k = 0; k < n; ++k) {
          if (!table.with_open(h, [](auto& s) { s.items.fetch_add(1); })) wrong.fetch_add(1);
        }
        std::uint64_t items = 0;
        std::string seen_name;
        if (!table.close(h, [&](const auto& s) {
              items = s.items.load();
              seen_name = std::string(s.name_view());
            })) {
          wrong.fetch_add(1);
        }
        if (items != n || seen_name != name) wrong.fetch_add(1);
        last_closed.store(h);
      }
    });
  }
  for (auto& w : workers) w.join();
  stop.store(true);
  poker.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(table.evictions(), 0u);
}

}  // namespace
}  // namespace jt
