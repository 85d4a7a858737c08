// SPDX-License-Identifier: BSD-3-Clause
// The agent's history: grids of energy rows, gaps, stale channels, the journal and restarts.
// Expected values come from the points the tests feed in (a known power), never from the code.
#include "agent/history.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "agent/journal.hpp"
#include "support/test_support.hpp"

namespace jt::agent {
namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kMs = 1'000'000;

HistoryOptions small_options() {
  HistoryOptions o;
  o.fine_step_s = 0.1;
  o.fine_span_s = 10.0;
  o.coarse_step_s = 1.0;
  o.coarse_span_s = 60.0;
  o.stale_after_s = 5.0;
  return o;
}

// Feeds channel c points every `every` ns from `from` to `to` at `watts`, energy counted from
// `from` plus `base_j`.
void feed(History& h, std::size_t c, std::int64_t from, std::int64_t to, std::int64_t every,
          double watts, double base_j = 0.0) {
  for (std::int64_t t = from; t <= to; t += every) {
    h.add_point(c, t, base_j + watts * static_cast<double>(t - from) / 1e9, false);
  }
}

TEST(EnergyGrid, InterpolatesBetweenRowsAndKnowsItsEnds) {
  EnergyGrid grid(2, kS, 4);
  grid.append(10 * kS, std::vector<double>{0.0, 5.0});
  grid.append(11 * kS, std::vector<double>{100.0, NAN});
  ASSERT_EQ(grid.size(), 2U);
  EXPECT_DOUBLE_EQ(*grid.energy_at(0, 10 * kS + 250 * kMs), 25.0);
  EXPECT_FALSE(grid.energy_at(0, 9 * kS).has_value());
  EXPECT_FALSE(grid.energy_at(0, 12 * kS).has_value());
  // An unknown value on either side: unknown, never a zero.
  EXPECT_FALSE(grid.energy_at(1, 10 * kS + 500 * kMs).has_value());
  EXPECT_DOUBLE_EQ(*grid.energy_at(1, 10 * kS), 5.0);
}

TEST(EnergyGrid, DropsTheOldestRowsWhenFullAndRepeatsValuesOverSkippedRows) {
  EnergyGrid grid(1, kS, 4);
  for (int i = 0; i < 6; ++i) grid.append(i * kS, std::vector<double>{10.0 * i});
  EXPECT_EQ(grid.size(), 4U);
  EXPECT_EQ(grid.first_t_ns(), 2 * kS);
  EXPECT_DOUBLE_EQ(*grid.energy_at(0, 5 * kS), 50.0);
  grid.append(8 * kS, std::vector<double>{90.0});
  // 6 s and 7 s were not there: they hold the last value (flat), the history marks them a gap.
  EXPECT_DOUBLE_EQ(*grid.energy_at(0, 7 * kS), 50.0);
  EXPECT_DOUBLE_EQ(*grid.energy_at(0, 8 * kS), 90.0);
  EXPECT_EQ(grid.first_t_ns(), 5 * kS);
}

TEST(History, RowsFollowTheKnownPowerOnBothGrids) {
  History h({"a", "b"}, small_options());
  feed(h, 0, 100 * kS, 110 * kS + 37 * kMs, 37 * kMs, 120.0);
  feed(h, 1, 100 * kS, 110 * kS, 100 * kMs, 80.0);
  h.advance(110 * kS);
  // Fine rows: energy between two instants is power x time.
  const auto a0 = h.energy_at(0, 101 * kS + 300 * kMs);
  const auto a1 = h.energy_at(0, 108 * kS + 700 * kMs);
  ASSERT_TRUE(a0 && a1);
  EXPECT_EQ(a0->resolution_ns, 100 * kMs);
  EXPECT_NEAR(a1->energy_j - a0->energy_j, 120.0 * 7.4, 1e-6);
  const auto b = h.energy_at(1, 105 * kS);
  ASSERT_TRUE(b);
  EXPECT_NEAR(b->energy_j, 80.0 * 5.0, 1e-9);
  EXPECT_EQ(h.coarse().size(), 11U);  // 100 s .. 110 s
  EXPECT_NEAR(h.coarse().value(10, 0) - h.coarse().value(0, 0), 1200.0, 1e-6);
  EXPECT_EQ(h.gap_ns(0, 100 * kS, 110 * kS), 0);
}

TEST(History, ARowWaitsForEveryChannelUntilOneIsStale) {
  History h({"fast", "slow"}, small_options());
  feed(h, 0, 100 * kS, 104 * kS, 100 * kMs, 10.0);
  feed(h, 1, 100 * kS, 101 * kS, 100 * kMs, 10.0);
  h.advance(104 * kS);
  ASSERT_TRUE(h.latest_ns());
  EXPECT_EQ(*h.latest_ns(), 101 * kS);  // the slow channel holds the rows back
  // Once it has read nothing for stale_after_s, the rows go on without it: flat, and a gap.
  feed(h, 0, 104 * kS + 100 * kMs, 108 * kS, 100 * kMs, 10.0, 40.0);
  h.advance(107 * kS);
  EXPECT_GE(*h.latest_ns(), 101 * kS + 5 * kS);
  h.add_point(1, 108 * kS, 10.0 + 70.0, false);
  h.advance(108 * kS);
  EXPECT_GT(h.gap_ns(1, 101 * kS, 108 * kS), 0);
  EXPECT_EQ(h.gap_ns(0, 101 * kS, 108 * kS), 0);
}

TEST(History, AGapKeepsTheEnergyFlatAndIsReported) {
  History h({"gpu"}, small_options());
  feed(h, 0, 100 * kS, 102 * kS, 100 * kMs, 100.0);
  // The sampler could not bridge 102 s .. 104 s: the next point says so.
  h.add_point(0, 104 * kS, 200.0, true);
  feed(h, 0, 104 * kS + 100 * kMs, 106 * kS, 100 * kMs, 100.0, 210.0 - 10.0);
  h.advance(106 * kS);
  const auto before = h.energy_at(0, 102 * kS);
  const auto inside = h.energy_at(0, 103 * kS);
  const auto after = h.energy_at(0, 104 * kS);
  ASSERT_TRUE(before && inside && after);
  EXPECT_DOUBLE_EQ(inside->energy_j, before->energy_j);
  EXPECT_DOUBLE_EQ(after->energy_j, before->energy_j);
  EXPECT_EQ(h.gap_ns(0, 100 * kS, 106 * kS), 2 * kS);
  EXPECT_EQ(h.gap_count(0), 1U);
}

TEST(History, ResumesFromJournaledRowsWithTheDowntimeAsAGap) {
  History first({"a"}, small_options());
  feed(first, 0, 100 * kS, 110 * kS, 100 * kMs, 50.0);
  first.advance(110 * kS);
  std::vector<double> rows;
  for (std::size_t r = 0; r < first.coarse().size(); ++r)
    rows.push_back(first.coarse().value(r, 0));

  History second({"a"}, small_options());
  second.resume(first.coarse().first_t_ns(), kS, rows, rows.size());
  // The new agent's sampler counts from 0 again; the history continues from the journal.
  feed(second, 0, 120 * kS, 125 * kS, 100 * kMs, 50.0);
  second.advance(125 * kS);
  const auto old = second.energy_at(0, 105 * kS);
  const auto now = second.energy_at(0, 125 * kS);
  ASSERT_TRUE(old && now);
  EXPECT_NEAR(old->energy_j, 250.0, 1e-9);
  // 110 s .. 120 s was not measured: only the 10 s before and the 5 s after count.
  EXPECT_NEAR(now->energy_j - old->energy_j, 50.0 * 5.0 + 50.0 * 5.0, 1e-6);
  ASSERT_EQ(second.restarts().size(), 1U);
  EXPECT_EQ(second.restarts()[0].from_ns, 110 * kS);
  EXPECT_EQ(second.restarts()[0].to_ns, 120 * kS);
  EXPECT_EQ(second.gap_ns(0, 100 * kS, 125 * kS), 10 * kS);
}

TEST(History, ReadingsNotYetSettledAnswerForThePresent) {
  History h({"a"}, small_options());
  feed(h, 0, 100 * kS, 105 * kS, 100 * kMs, 60.0);
  h.advance(105 * kS);
  const std::vector<std::int64_t> t{105 * kS + 100 * kMs, 105 * kS + 200 * kMs,
                                    105 * kS + 300 * kMs};
  const std::vector<double> e{306.0, 312.0, 318.0};
  h.set_provisional(0, t, e);
  ASSERT_EQ(*h.latest_ns(), 105 * kS);  // no row is made of them
  EXPECT_EQ(*h.live_latest_ns(105 * kS + 300 * kMs), 105 * kS + 300 * kMs);
  EXPECT_NEAR(*h.live_energy_at(0, 105 * kS + 250 * kMs), 60.0 * 5.25, 1e-9);
  EXPECT_NEAR(*h.live_energy_at(0, 104 * kS), 60.0 * 4.0, 1e-9);
  EXPECT_FALSE(h.live_energy_at(0, 106 * kS).has_value());
}

TEST(Journal, KeepsRowsAcrossAReopenAndMapsChannelsByName) {
  const jt::test::TempTree dir;
  {
    auto journal = Journal::open(dir.path(), {"a", "b"}, kS, 100);
    ASSERT_TRUE(journal) << journal.error().message;
    EXPECT_EQ(journal->recovered().row_count, 0U);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(journal->append((50 + i) * kS, std::vector<double>{1.0 * i, 10.0 * i}));
    }
  }
  // The channels changed: "b" is gone, "c" is new (unknown, NaN), "a" keeps its values.
  auto journal = Journal::open(dir.path(), {"c", "a"}, kS, 100);
  ASSERT_TRUE(journal) << journal.error().message;
  const auto& rows = journal->recovered();
  ASSERT_EQ(rows.row_count, 5U);
  EXPECT_EQ(rows.first_t_ns, 50 * kS);
  EXPECT_EQ(rows.step_ns, kS);
  EXPECT_TRUE(std::isnan(rows.values[0]));
  EXPECT_DOUBLE_EQ(rows.values[4 * 2 + 1], 4.0);
}

TEST(Journal, DropsATornLastRowAndSaysSo) {
  const jt::test::TempTree dir;
  {
    auto journal = Journal::open(dir.path(), {"a"}, kS, 100);
    ASSERT_TRUE(journal);
    ASSERT_TRUE(journal->append(50 * kS, std::vector<double>{1.0}));
    ASSERT_TRUE(journal->append(51 * kS, std::vector<double>{2.0}));
  }
  const auto path = dir / "history.journal";
  std::string content = jt::test::read_file(path);
  content.resize(content.size() - 3);  // killed in the middle of the last row
  jt::test::write_file(path, content);
  auto journal = Journal::open(dir.path(), {"a"}, kS, 100);
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered().row_count, 1U);
  EXPECT_NE(journal->recovered().note.find("torn"), std::string::npos);
}

// Found by fuzz/agent_journal_fuzzer.cpp: a journal that ends right after "rows" made the
// header's length -1 and Journal::open throw; a clock offset near the int64 limits overflowed.
TEST(Journal, AJournalCutAfterItsHeaderOrWithAnImpossibleClockStartsAnew) {
  const jt::test::TempTree dir;
  { ASSERT_TRUE(Journal::open(dir.path(), {"a"}, kS, 100)); }
  const auto path = dir / "history.journal";
  std::string content = jt::test::read_file(path);
  ASSERT_EQ(content.back(), '\n');
  content.pop_back();
  jt::test::write_file(path, content);
  auto cut = Journal::open(dir.path(), {"a"}, kS, 100);
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->recovered().row_count, 0U);

  jt::test::write_file(path,
                       "jouletrace-journal 1\nboot another\nstep_ns 1000000000\n"
                       "realtime_minus_monotonic_ns -9223372036854775807\nchannels 1\na\nrows\n" +
                           std::string(16, '\x01'));
  auto odd = Journal::open(dir.path(), {"a"}, kS, 100);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->recovered().row_count, 0U);
}

TEST(Journal, StaysBoundedByCompactingToTheNewestRows) {
  const jt::test::TempTree dir;
  auto journal = Journal::open(dir.path(), {"a"}, kS, 10);
  ASSERT_TRUE(journal);
  for (int i = 0; i < 45; ++i) ASSERT_TRUE(journal->append(i * kS, std::vector<double>{1.0 * i}));
  const auto size = std::filesystem::file_size(dir / "history.journal");
  EXPECT_LT(size, 2000U);  // at most 2 x 10 rows of 16 bytes plus the header
  auto reopened = Journal::open(dir.path(), {"a"}, kS, 10);
  ASSERT_TRUE(reopened);
  ASSERT_EQ(reopened->recovered().row_count, 10U);
  EXPECT_EQ(reopened->recovered().first_t_ns, 35 * kS);
  EXPECT_DOUBLE_EQ(reopened->recovered().values.back(), 44.0);
}

TEST(Journal, AnUnreadableFileStartsAnew) {
  const jt::test::TempTree dir;
  jt::test::write_file(dir / "history.journal", "not a journal\n\x01\x02");
  auto journal = Journal::open(dir.path(), {"a"}, kS, 10);
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->recovered().row_count, 0U);
  EXPECT_FALSE(journal->recovered().note.empty());
}

}  // namespace
}  // namespace jt::agent
