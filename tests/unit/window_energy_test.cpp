#include "ledger/window_energy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "support/scripted_sensor.hpp"

namespace jt {
namespace {

constexpr std::int64_t kMs = 1'000'000;

ChannelInfo counter(const std::string& id, double update_period_s = 0.001) {
  ChannelInfo info;
  info.id = id;
  info.domain = Domain::kPackage;
  info.quantity = Quantity::kEnergyCounter;
  info.scale = 1e-6;
  info.update_period_s = update_period_s;
  return info;
}

// 100 W until 1 s, then 300 W, sampled every 100 ms.
ChannelSeries step_series() {
  ChannelSeries s;
  double e = 0;
  for (int i = 0; i <= 20; ++i) {
    s.t_ns.push_back(i * 100 * kMs);
    s.energy_j.push_back(e);
    e += (i < 10 ? 100.0 : 300.0) * 0.1;
  }
  return s;
}

TEST(WindowEnergy, InterpolatesInsideSampleIntervals) {
  const auto w = measure_window({counter("p")}, {step_series()}, {0}, 0.1, 250 * kMs, 1550 * kMs);
  // 0.75 s at 100 W + 0.55 s at 300 W.
  EXPECT_NEAR(w.energy_j, 75.0 + 165.0, 1e-9);
  EXPECT_EQ(w.method, "counter");
  EXPECT_FALSE(w.short_window);
  // Each end can be off by local power x half the sample spacing.
  EXPECT_NEAR(w.uncertainty_j, std::hypot(100.0 * 0.05, 300.0 * 0.05) + 2e-6, 1e-9);
}

TEST(WindowEnergy, WindowShorterThanOneSampleHasALargeUncertaintySaidInAWarning) {
  const auto w = measure_window({counter("p")}, {step_series()}, {0}, 0.1, 420 * kMs, 440 * kMs);
  EXPECT_NEAR(w.energy_j, 2.0, 1e-9);
  EXPECT_FALSE(w.short_window);            // 20 ms is 20 RAPL updates ...
  EXPECT_GT(w.uncertainty_j, w.energy_j);  // ... but the 100 ms sampling makes it uncertain
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_NE(w.warnings[0].find("shorter --interval"), std::string::npos);
}

TEST(WindowEnergy, WindowShorterThanTenUpdatePeriodsIsFlagged) {
  // An NVML-like counter refreshed every 100 ms, sampled every 10 ms.
  ChannelSeries s;
  for (int i = 0; i <= 100; ++i) {
    s.t_ns.push_back(i * 10 * kMs);
    s.energy_j.push_back(300.0 * 0.01 * i);
  }
  const auto w = measure_window({counter("gpu", 0.1)}, {s}, {0}, 0.01, 100 * kMs, 600 * kMs);
  EXPECT_TRUE(w.short_window);
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_NE(w.warnings[0].find("shorter than 10 update periods of gpu"), std::string::npos);
  EXPECT_NEAR(w.uncertainty_j, std::hypot(30.0, 30.0) + 2e-6, 1e-6);
}

TEST(WindowEnergy, StraddlingAWrapIsSeamlessBecauseTheSeriesIsUnwrapped) {
  // The sampler stores unwrapped cumulative energy, so a counter wrap inside a window needs no
  // special case here; the accumulator tests cover the unwrapping itself.
  ChannelSeries s;
  s.t_ns = {0, 100 * kMs, 200 * kMs};
  s.energy_j = {0.0, 5.0, 10.0};
  const auto w = measure_window({counter("p")}, {s}, {0}, 0.1, 50 * kMs, 150 * kMs);
  EXPECT_NEAR(w.energy_j, 5.0, 1e-9);
}

TEST(WindowEnergy, PhaseStraddlingARealCounterWrapThroughTheSampler) {
  // A 10 J counter at 40 W, read every 50 ms through the sampler: it wraps every 0.25 s. A
  // phase from 0.12 s to 0.93 s crosses three of them and must get 40 W x 0.81 s.
  ChannelInfo info = counter("pkg");
  info.wrap_modulus = 10'000'000;
  info.max_power_w = 100.0;
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{info}, [](std::size_t, std::size_t k) {
        const auto t = static_cast<std::int64_t>(k) * 50 * kMs;
        const auto raw = (7'000'000 + static_cast<std::uint64_t>(k) * 2'000'000) % 10'000'000;
        return Reading{t, 0, raw, Reading::Status::kOk};
      }));
  Sampler sampler(std::move(sensors), SamplerOptions{.interval_s = 0.05});
  for (int i = 0; i <= 22; ++i) sampler.sample_once();
  sampler.finish();
  EXPECT_EQ(sampler.stats(0).wraps, 5u);  // the last one confirmed by finish()
  const auto w =
      measure_window(sampler.channels(), sampler.series(), {0}, 0.05, 120 * kMs, 930 * kMs);
  EXPECT_NEAR(w.energy_j, 40.0 * 0.81, 1e-6);
  EXPECT_LT(w.uncertainty_j, 3.0);
}

TEST(WindowEnergy, OnlyCoverChannelsMakeTheTotal) {
  const auto w = measure_window({counter("pkg"), counter("core")}, {step_series(), step_series()},
                                {0}, 0.1, 0, 1000 * kMs);
  EXPECT_NEAR(w.energy_j, 100.0, 1e-9);
  EXPECT_TRUE(w.components[0].in_total);
  EXPECT_FALSE(w.components[1].in_total);
  EXPECT_NEAR(w.components[1].energy_j, 100.0, 1e-9);
}

TEST(WindowEnergy, OutsideTheReadingsIsSaid) {
  const auto w = measure_window({counter("p")}, {step_series()}, {0}, 0.1, 1500 * kMs, 2500 * kMs);
  EXPECT_FALSE(w.components[0].covered);
  EXPECT_FALSE(w.warnings.empty());
}

TEST(WindowEnergy, CoverDropsChannelsWithoutReadingsAndKeepsTheirParts) {
  ChannelInfo pkg = counter("pkg");
  ChannelInfo core = counter("core");
  core.domain = Domain::kCore;
  pkg.contains = {"core"};
  ChannelStats good;
  good.samples = 10;
  ChannelStats none;
  EXPECT_EQ(cover_channels({pkg, core}, {good, good}), (std::vector<std::size_t>{0}));
  EXPECT_EQ(cover_channels({pkg, core}, {none, good}), (std::vector<std::size_t>{1}));
}

}  // namespace
}  // namespace jt
