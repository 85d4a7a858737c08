// SPDX-License-Identifier: BSD-3-Clause
#include "sampler/channel_accumulator.hpp"

#include <gtest/gtest.h>

namespace jt {
namespace {

constexpr std::int64_t kMs = 1'000'000;

ChannelInfo rapl_like(std::uint64_t modulus = 0) {
  ChannelInfo info;
  info.id = "test/counter";
  info.quantity = Quantity::kEnergyCounter;
  info.scale = 1e-6;  // uJ
  info.wrap_modulus = modulus;
  info.update_period_s = 0.001;
  info.max_power_w = 100.0;
  return info;
}

Reading ok(std::int64_t t_ns, std::uint64_t raw) {
  return Reading{t_ns, 0, raw, Reading::Status::kOk};
}

TEST(ChannelAccumulator, SumsCounterDeltas) {
  ChannelAccumulator acc(rapl_like(), {});
  EXPECT_TRUE(acc.update(ok(0, 1'000'000)));
  EXPECT_TRUE(acc.update(ok(100 * kMs, 6'000'000)));  // 5 J in 0.1 s = 50 W
  EXPECT_TRUE(acc.update(ok(200 * kMs, 11'000'000)));
  EXPECT_DOUBLE_EQ(acc.energy_j(), 10.0);
  EXPECT_EQ(acc.stats().samples, 3u);
  EXPECT_EQ(acc.stats().segments, 1);
}

TEST(ChannelAccumulator, OneCoarseStepInAShortIntervalIsNoSpike) {
  // Sapphire Rapids psys at 100 W max, read every millisecond: the counter shows a whole joule
  // at once (1000 W over that millisecond), which is its step, not a torn value.
  ChannelInfo psys = rapl_like();
  psys.resolution = 1.0;
  ChannelAccumulator acc(psys, {});
  std::uint64_t raw = 4'071'000'000;
  std::int64_t t = 0;
  for (int k = 0; k < 100; ++k, t += kMs) {
    if (k % 20 == 19) raw += 1'000'000;  // 50 W
    EXPECT_TRUE(acc.update(ok(t, raw))) << k;
  }
  EXPECT_DOUBLE_EQ(acc.energy_j(), 5.0);
  EXPECT_EQ(acc.stats().skipped, 0u);
}

TEST(ChannelAccumulator, AddsModulusOnWrap) {
  // Range 0..9'999'999 uJ: the modulus is max_energy_range_uj + 1.
  ChannelAccumulator acc(rapl_like(10'000'000), {});
  acc.update(ok(0, 9'000'000));
  // 1 J to the top, 4 J after: 5 J at 50 W. A wrap waits for the next reading to confirm it.
  EXPECT_FALSE(acc.update(ok(100 * kMs, 4'000'000)));
  EXPECT_TRUE(acc.update(ok(200 * kMs, 6'000'000)));
  EXPECT_DOUBLE_EQ(acc.energy_j(), 7.0);
  EXPECT_EQ(acc.stats().wraps, 1u);
  EXPECT_EQ(acc.stats().segments, 1);
}

TEST(ChannelAccumulator, TornLowReadIsNotTakenForAWrap) {
  // At the capped interval a wrap may mean up to twice the worst-case power, so power alone
  // cannot tell a wrap from a torn low read; the next reading does.
  ChannelAccumulator acc(rapl_like(10'000'000), {});
  acc.update(ok(0, 7'000'000));
  EXPECT_FALSE(acc.update(ok(50 * kMs, 700)));  // torn: looks like a 3 J wrap
  EXPECT_TRUE(acc.update(ok(100 * kMs, 9'500'000)));
  EXPECT_DOUBLE_EQ(acc.energy_j(), 2.5);
  EXPECT_EQ(acc.stats().wraps, 0u);
  EXPECT_EQ(acc.stats().skipped, 1u);
}

TEST(ChannelAccumulator, WrapInTheLastIntervalIsKeptAtFinish) {
  ChannelAccumulator acc(rapl_like(10'000'000), {});
  acc.update(ok(0, 9'000'000));
  EXPECT_FALSE(acc.update(ok(100 * kMs, 4'000'000)));
  acc.finish();
  EXPECT_DOUBLE_EQ(acc.energy_j(), 5.0);
  EXPECT_EQ(acc.stats().wraps, 1u);
  EXPECT_FALSE(acc.stats().unresolved_at_end);
}

TEST(ChannelAccumulator, ImpossibleLastReadingIsReportedAtFinish) {
  ChannelAccumulator acc(rapl_like(0), {});
  acc.update(ok(0, 9'000'000));
  acc.update(ok(100 * kMs, 14'000'000));
  EXPECT_FALSE(acc.update(ok(200 * kMs, 100)));
  acc.finish();
  EXPECT_DOUBLE_EQ(acc.energy_j(), 5.0);
  EXPECT_EQ(acc.stats().skipped, 1u);
  EXPECT_TRUE(acc.stats().unresolved_at_end);
}

TEST(ChannelAccumulator, SilenceLongerThanTheWrapTimeIsAGap) {
  // 10 J range at a 100 W worst case wraps in 0.1 s: after 0.5 s without a reading, any
  // number of wraps may have happened.
  ChannelAccumulator acc(rapl_like(10'000'001), {});
  acc.update(ok(0, 1'000'000));
  acc.update(ok(50 * kMs, 3'000'000));
  EXPECT_TRUE(acc.update(ok(550 * kMs, 4'000'000)));
  acc.update(ok(600 * kMs, 6'000'000));
  EXPECT_DOUBLE_EQ(acc.energy_j(), 4.0);
  EXPECT_EQ(acc.stats().segments, 2);
  EXPECT_NEAR(acc.stats().gap_s, 0.5, 1e-9);
}

TEST(ChannelAccumulator, DecreaseWithoutModulusIsAResetAndStartsASegment) {
  ChannelAccumulator acc(rapl_like(0), {});
  acc.update(ok(0, 50'000'000));
  acc.update(ok(100 * kMs, 55'000'000));               // +5 J
  EXPECT_FALSE(acc.update(ok(200 * kMs, 1'000'000)));  // held back: reset or torn?
  EXPECT_TRUE(acc.update(ok(300 * kMs, 6'000'000)));   // agrees with the new baseline: reset
  EXPECT_DOUBLE_EQ(acc.energy_j(), 10.0);              // 5 J before, 5 J after; the gap is unknown
  EXPECT_EQ(acc.stats().segments, 2);
  EXPECT_NEAR(acc.stats().gap_s, 0.1, 1e-9);
  EXPECT_EQ(acc.stats().skipped, 0u);
}

TEST(ChannelAccumulator, TornReadIsSkippedNotASpike) {
  ChannelAccumulator acc(rapl_like(262'143'328'851), {});
  acc.update(ok(0, 123'456'789'000));
  acc.update(ok(100 * kMs, 123'461'789'000));        // +5 J
  EXPECT_FALSE(acc.update(ok(200 * kMs, 123'461)));  // first digits only: torn
  EXPECT_TRUE(acc.update(ok(300 * kMs, 123'471'789'000)));
  EXPECT_DOUBLE_EQ(acc.energy_j(), 15.0);
  EXPECT_EQ(acc.stats().skipped, 1u);
  EXPECT_EQ(acc.stats().segments, 1);
  EXPECT_EQ(acc.stats().wraps, 0u);
}

TEST(ChannelAccumulator, RepeatedTornValueDoesNotPassForAReset) {
  ChannelAccumulator acc(rapl_like(262'143'328'851), {});
  acc.update(ok(0, 83'749'201'873));
  for (int i = 1; i <= 5; ++i) EXPECT_FALSE(acc.update(ok(i * 5 * kMs, 83'749)));
  EXPECT_TRUE(acc.update(ok(30 * kMs, 83'749'201'873 + 1'500'000)));  // 1.5 J in 30 ms
  EXPECT_DOUBLE_EQ(acc.energy_j(), 1.5);
  EXPECT_EQ(acc.stats().segments, 1);
  EXPECT_EQ(acc.stats().skipped, 5u);
}

TEST(ChannelAccumulator, TornValuesThatCountUpAreRevertedWhenTheCounterComesBack) {
  // Torn reads showing the leading digits of the true value advance slowly, like a counter
  // that restarted; the true value reappearing proves otherwise.
  ChannelAccumulator acc(rapl_like(262'143'328'851), {});
  acc.update(ok(0, 83'749'201'873));
  acc.update(ok(5 * kMs, 83'749));
  acc.update(ok(10 * kMs, 83'750));
  acc.update(ok(15 * kMs, 83'751));
  EXPECT_EQ(acc.stats().segments, 2);  // looked like a reset for a moment
  EXPECT_TRUE(acc.update(ok(20 * kMs, 83'749'201'873 + 1'000'000)));
  EXPECT_EQ(acc.stats().segments, 1);
  EXPECT_DOUBLE_EQ(acc.energy_j(), 1.0);
  EXPECT_EQ(acc.stats().skipped, 3u);
  EXPECT_DOUBLE_EQ(acc.stats().gap_s, 0.0);
}

TEST(ChannelAccumulator, ResetIsFinalOnceTheDoubtWindowHasPassed) {
  ChannelAccumulator acc(rapl_like(0), {});
  acc.update(ok(0, 100'000'000));
  acc.update(ok(100 * kMs, 0));
  acc.update(ok(200 * kMs, 5'000'000));
  for (int i = 3; i <= 30; ++i) acc.update(ok(i * 100 * kMs, 5'000'000 + (i - 2) * 5'000'000));
  EXPECT_EQ(acc.stats().segments, 2);
  // Long after the reset the new counter passes the old value at a plausible rate: still a
  // new segment, not a return to the old one.
  EXPECT_TRUE(acc.update(ok(3100 * kMs, 145'000'000)));
  EXPECT_EQ(acc.stats().segments, 2);
}

TEST(ChannelAccumulator, ImplausibleJumpUpIsHeldBackAndSkipped) {
  ChannelAccumulator acc(rapl_like(), {});
  acc.update(ok(0, 1'000'000));
  EXPECT_FALSE(acc.update(ok(100 * kMs, 900'000'000'000)));  // 9 MJ in 0.1 s
  EXPECT_TRUE(acc.update(ok(200 * kMs, 11'000'000)));
  EXPECT_DOUBLE_EQ(acc.energy_j(), 10.0);
  EXPECT_EQ(acc.stats().skipped, 1u);
}

TEST(ChannelAccumulator, TwoWrapsWorthIsNotTakenForOne) {
  // A decrease whose wrap would mean 900 W on a 100 W channel is a reset, not a wrap.
  ChannelAccumulator acc(rapl_like(100'000'000), {});
  acc.update(ok(0, 10'000'000));
  EXPECT_FALSE(acc.update(ok(100 * kMs, 0)));
  EXPECT_TRUE(acc.update(ok(200 * kMs, 5'000'000)));
  EXPECT_EQ(acc.stats().wraps, 0u);
  EXPECT_EQ(acc.stats().segments, 2);
  EXPECT_DOUBLE_EQ(acc.energy_j(), 5.0);
}

TEST(ChannelAccumulator, StatusesAreCountedAndNeverBecomeEnergy) {
  ChannelAccumulator acc(rapl_like(), {});
  acc.update(ok(0, 0));
  EXPECT_FALSE(acc.update(Reading{50 * kMs, 0, 0, Reading::Status::kSkipped}));
  EXPECT_FALSE(acc.update(Reading{60 * kMs, 0, 0, Reading::Status::kUnavailable}));
  acc.update(ok(100 * kMs, 5'000'000));
  EXPECT_DOUBLE_EQ(acc.energy_j(), 5.0);
  EXPECT_EQ(acc.stats().skipped, 1u);
  EXPECT_EQ(acc.stats().unavailable, 1u);
}

TEST(ChannelAccumulator, LostDeviceKeepsEnergyUpToTheLoss) {
  ChannelAccumulator acc(rapl_like(), {});
  acc.update(ok(0, 0));
  acc.update(ok(100 * kMs, 5'000'000));
  EXPECT_FALSE(acc.update(Reading{200 * kMs, 0, 0, Reading::Status::kLost}));
  EXPECT_FALSE(acc.update(ok(300 * kMs, 99'000'000)));  // not trusted after a loss
  EXPECT_DOUBLE_EQ(acc.energy_j(), 5.0);
  EXPECT_TRUE(acc.stats().lost);
  EXPECT_EQ(acc.stats().lost_at_ns, 200 * kMs);
}

TEST(ChannelAccumulator, IntegratesPowerWithTheTrapezoidRule) {
  ChannelInfo info;
  info.quantity = Quantity::kInstantPower;
  info.scale = 1e-6;  // uW
  ChannelAccumulator acc(info, {});
  acc.update(ok(0, 100'000'000));           // 100 W
  acc.update(ok(1000 * kMs, 200'000'000));  // 200 W
  acc.update(ok(2000 * kMs, 200'000'000));
  EXPECT_DOUBLE_EQ(acc.energy_j(), 150.0 + 200.0);
  EXPECT_DOUBLE_EQ(acc.stats().peak_power_w, 200.0);
}

TEST(ChannelAccumulator, PowerGapLongerThanBridgeIsNotIntegrated) {
  ChannelInfo info;
  info.quantity = Quantity::kAveragePower;
  info.scale = 1.0;
  ChannelAccumulator acc(info, {.max_bridge_s = 5.0, .peak_window_s = 0.1});
  acc.update(ok(0, 100));
  acc.update(ok(1000 * kMs, 100));
  acc.update(ok(61'000 * kMs, 100));  // a minute without readings
  acc.update(ok(62'000 * kMs, 100));
  EXPECT_DOUBLE_EQ(acc.energy_j(), 200.0);
  EXPECT_EQ(acc.stats().segments, 2);
  EXPECT_NEAR(acc.stats().gap_s, 60.0, 1e-9);
}

TEST(ChannelAccumulator, PeakIsTakenOverWindowsNotSingleUpdates) {
  ChannelAccumulator acc(rapl_like(), {.max_bridge_s = 5.0, .peak_window_s = 0.1});
  std::uint64_t raw = 0;
  acc.update(ok(0, raw));
  // 50 W for 1 s in 1 ms steps, then 90 W for 0.5 s.
  for (int i = 1; i <= 1000; ++i) acc.update(ok(i * kMs, raw += 50'000));
  for (int i = 1001; i <= 1500; ++i) acc.update(ok(i * kMs, raw += 90'000));
  EXPECT_NEAR(acc.stats().peak_power_w, 90.0, 1e-6);
  EXPECT_NEAR(acc.energy_j(), 50.0 + 45.0, 1e-6);
}

}  // namespace
}  // namespace jt
