// SPDX-License-Identifier: BSD-3-Clause
// The ledger's power profile against timelines of known constant powers: each bucket's mean
// power is the power the fixture drew over it, a bucket across a change of power (a phase
// boundary) the time-weighted mean, a bucket over a gap in readings unknown, never 0.
#include "ledger/power_profile.hpp"

#include <gtest/gtest.h>

#include "ledger/run_analysis.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;

ChannelInfo counter(const std::string& id, Domain domain) {
  ChannelInfo info;
  info.id = id;
  info.domain = domain;
  info.quantity = Quantity::kEnergyCounter;
  info.scale = 1e-6;
  info.update_period_s = 0.001;
  return info;
}

// Readings every 100 ms over [0, 8 s]: `before_w` until `change_s`, `after_w` from there;
// none inside (gap_from_s, gap_to_s), whose energy the sampler could not count.
ChannelSeries readings(double before_w, double after_w, double change_s, double gap_from_s = -1,
                       double gap_to_s = -1) {
  ChannelSeries s;
  double energy = 0.0;
  for (std::int64_t i = 0; i <= 80; ++i) {
    const double t = 0.1 * static_cast<double>(i);
    if (t > gap_from_s + 1e-9 && t < gap_to_s - 1e-9) continue;
    if (!s.t_ns.empty()) {
      const double from = static_cast<double>(s.t_ns.back()) * 1e-9;
      const bool across_gap = from < gap_from_s + 1e-9 && t > gap_to_s - 1e-9;
      if (!across_gap) energy += (t <= change_s + 1e-9 ? before_w : after_w) * (t - from);
    }
    s.t_ns.push_back(i * 100 * kMs);
    s.energy_j.push_back(energy);
  }
  return s;
}

struct Fixture {
  Timeline timeline;
  WindowResult run;
};

// A package at 100 W then 150 W from 4 s (the phase boundary); a GPU at 200 W whose readings
// stop from 5 s to 6 s.
Fixture fixture() {
  Fixture f;
  f.timeline = test::timeline_of(
      {counter("powercap/intel-rapl:0", Domain::kPackage), counter("nvml/GPU-0", Domain::kGpu)},
      {readings(100.0, 150.0, 4.0), readings(200.0, 200.0, 8.0, 5.0, 6.0)}, 0.1);
  f.timeline.stats[1].gaps = {{5 * kS, 6 * kS}};
  f.timeline.stats[1].segments = 2;
  f.run = summarise_run(f.timeline, 0, 8 * kS, std::nullopt);
  return f;
}

TEST(PowerProfile, EachBucketIsThePowerDrawnOverIt) {
  const Fixture f = fixture();
  const PowerProfile p =
      power_profile(f.timeline, f.run, {"powercap/intel-rapl:0", "nvml/GPU-0"}, 0, 8 * kS, 8);
  ASSERT_EQ(p.buckets, 8U);
  EXPECT_DOUBLE_EQ(p.bucket_s, 1.0);
  ASSERT_EQ(p.series.size(), 2U);
  const ProfileSeries& package = p.series[0];
  EXPECT_EQ(package.id, "powercap/intel-rapl:0");
  EXPECT_EQ(package.method, Method::kCounter);
  EXPECT_TRUE(package.stacked);
  for (std::size_t b = 0; b < 8; ++b) {
    ASSERT_TRUE(package.power_w[b]) << b;
    EXPECT_NEAR(*package.power_w[b], b < 4 ? 100.0 : 150.0, 1e-6) << b;
    ASSERT_TRUE(package.uncertainty_w[b]) << b;
    EXPECT_GE(*package.uncertainty_w[b], 0.0);
  }
}

TEST(PowerProfile, ABucketOverAGapIsUnknownNeverZero) {
  const Fixture f = fixture();
  const PowerProfile p = power_profile(f.timeline, f.run, {}, 0, 8 * kS, 8);
  const ProfileSeries& gpu = p.series[1];
  for (std::size_t b = 0; b < 8; ++b) {
    if (b == 5) {
      EXPECT_FALSE(gpu.power_w[b]);
      EXPECT_FALSE(gpu.uncertainty_w[b]);
      continue;
    }
    ASSERT_TRUE(gpu.power_w[b]) << b;
    EXPECT_NEAR(*gpu.power_w[b], 200.0, 1e-6) << b;
  }
}

TEST(PowerProfile, ABucketAcrossAPhaseBoundaryIsTheTimeWeightedMean) {
  const Fixture f = fixture();
  // Five buckets of 1.6 s: the third, 3.2 s to 4.8 s, is half at 100 W and half at 150 W.
  const PowerProfile p = power_profile(f.timeline, f.run, {}, 0, 8 * kS, 5);
  ASSERT_EQ(p.buckets, 5U);
  EXPECT_NEAR(*p.series[0].power_w[2], 125.0, 1e-6);
  EXPECT_NEAR(*p.series[0].power_w[0], 100.0, 1e-6);
  EXPECT_NEAR(*p.series[0].power_w[4], 150.0, 1e-6);
}

TEST(PowerProfile, BucketsAreNeverShorterThanTheSamplingInterval) {
  const Fixture f = fixture();
  EXPECT_EQ(power_profile(f.timeline, f.run, {}, 0, 8 * kS).buckets, 80U);
  EXPECT_EQ(power_profile(f.timeline, f.run, {}, 0, 8 * kS, 20).buckets, 20U);
  EXPECT_EQ(power_profile(f.timeline, f.run, {}, 0, 0).buckets, 0U);
}

TEST(PowerProfile, TheRunsAnalysisStacksItsPartsAndDrawsContainersAsLines) {
  Fixture f = fixture();
  ChannelInfo package = f.timeline.channels[0];
  package.contains = {"powercap/intel-rapl:0:0"};
  ChannelInfo core = counter("powercap/intel-rapl:0:0", Domain::kCore);
  Timeline timeline = test::timeline_of(
      {package, core, f.timeline.channels[1]},
      {f.timeline.series[0], readings(60.0, 60.0, 8.0), readings(200.0, 200.0, 8.0)}, 0.1);
  const RunAnalysis run = analyse_run(timeline, RunAnalysisInputs{.start_ns = 0, .end_ns = 8 * kS});
  const PowerProfile& p = run.power_profile;
  ASSERT_EQ(p.series.size(), 3U);
  EXPECT_TRUE(p.series[0].stacked);
  EXPECT_TRUE(p.series[0].contains_others);  // the package holds its cores
  EXPECT_FALSE(p.series[1].stacked);         // the core is inside the package
  EXPECT_FALSE(p.series[1].contains_others);
  EXPECT_TRUE(p.series[2].stacked);
  EXPECT_NEAR(*p.series[1].power_w[40], 60.0, 1e-6);
}

}  // namespace
}  // namespace jt
