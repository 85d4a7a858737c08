// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/window_energy.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "support/scripted_sensor.hpp"
#include "support/test_support.hpp"
#include "support/warning_support.hpp"

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
  const auto w = measure_window(test::timeline_of({counter("p")}, {step_series()}, 0.1), {0},
                                250 * kMs, 1550 * kMs);
  // 0.75 s at 100 W + 0.55 s at 300 W.
  EXPECT_NEAR(w.total.energy_j.value(), 75.0 + 165.0, 1e-9);
  EXPECT_EQ(w.total.method, Method::kCounter);
  EXPECT_FALSE(w.short_window);
  // Each end can be off by local power x half the sample spacing; the ends add up (a bound),
  // one LSB per end in quadrature.
  EXPECT_NEAR(w.total.uncertainty_j(), std::hypot(100.0 * 0.05 + 300.0 * 0.05, 2e-6), 1e-9);
}

TEST(WindowEnergy, WindowShorterThanOneSampleHasALargeUncertaintySaidInAWarning) {
  const auto w = measure_window(test::timeline_of({counter("p")}, {step_series()}, 0.1), {0},
                                420 * kMs, 440 * kMs);
  EXPECT_NEAR(w.total.energy_j.value(), 2.0, 1e-9);
  EXPECT_FALSE(w.short_window);  // 20 ms is 20 RAPL updates ...
  EXPECT_GT(w.total.uncertainty_j(),
            w.total.energy_j.value());  // ... but the 100 ms sampling makes it uncertain
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_EQ(w.warnings[0].code, "coarse-sampling");
  EXPECT_EQ(figure(w.warnings[0], "interval_s"), 0.1);
  EXPECT_NEAR(figure(w.warnings[0], "duration_s").value_or(-1), 0.02, 1e-12);
  EXPECT_EQ(figure(w.warnings[0], "uncertainty_j"), w.total.uncertainty_j());
}

TEST(WindowEnergy, WindowShorterThanTenUpdatePeriodsIsFlagged) {
  // An NVML-like counter refreshed every 100 ms, sampled every 10 ms.
  ChannelSeries s;
  for (int i = 0; i <= 100; ++i) {
    s.t_ns.push_back(i * 10 * kMs);
    s.energy_j.push_back(300.0 * 0.01 * i);
  }
  const auto w = measure_window(test::timeline_of({counter("gpu", 0.1)}, {s}, 0.01), {0}, 100 * kMs,
                                600 * kMs);
  EXPECT_TRUE(w.short_window);
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_EQ(w.warnings[0].code, "short-window");
  EXPECT_EQ(detail(w.warnings[0], "channel"), "gpu");
  EXPECT_EQ(figure(w.warnings[0], "update_period_s"), 0.1);
  EXPECT_NEAR(figure(w.warnings[0], "duration_s").value_or(-1), 0.5, 1e-12);
  EXPECT_NEAR(w.total.uncertainty_j(), 30.0 + 30.0, 1e-6);
}

TEST(WindowEnergy, StraddlingAWrapIsSeamlessBecauseTheSeriesIsUnwrapped) {
  // The sampler stores unwrapped cumulative energy, so a counter wrap inside a window needs no
  // special case here; the accumulator tests cover the unwrapping itself.
  ChannelSeries s;
  s.t_ns = {0, 100 * kMs, 200 * kMs};
  s.energy_j = {0.0, 5.0, 10.0};
  const auto w =
      measure_window(test::timeline_of({counter("p")}, {s}, 0.1), {0}, 50 * kMs, 150 * kMs);
  EXPECT_NEAR(w.total.energy_j.value(), 5.0, 1e-9);
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
  const auto w = measure_window(sampler.snapshot(), {0}, 120 * kMs, 930 * kMs);
  EXPECT_NEAR(w.total.energy_j.value(), 40.0 * 0.81, 1e-6);
  // Each end is off by at most 40 W x half the span around it: 50 ms, or 100 ms where the
  // reading after a wrap was held back until the next one confirmed it.
  EXPECT_LE(w.total.uncertainty_j(), 40.0 * 0.05 + 40.0 * 0.05 + 1e-5);
}

// One uncertainty model for runs and windows: a window over the run's own span (the first to
// the last reading) gets the run's uncertainty, term by term.
TEST(WindowEnergy, AWindowOverTheWholeRunHasTheRunsUncertainty) {
  ChannelInfo gpu = counter("gpu", 0.1);
  gpu.domain = Domain::kGpu;
  gpu.calibration_error = 0.05;
  const Timeline timeline =
      test::timeline_of({counter("pkg"), gpu}, {step_series(), step_series()}, 0.1);
  const WindowResult run = summarise_run(timeline, 0, 2000 * kMs, std::nullopt);
  const WindowEnergy window = measure_window(timeline, {0, 1}, 0, 2000 * kMs);
  ASSERT_TRUE(run.total.energy_j && window.total.energy_j);
  // Each series: 1 s at 100 W and 1 s at 300 W, 400 J; two of them.
  EXPECT_NEAR(*run.total.energy_j, 800.0, 1e-9);
  EXPECT_NEAR(*window.total.energy_j, 800.0, 1e-9);
  EXPECT_NEAR(window.total.uncertainty_j(), run.total.uncertainty_j(), 1e-9);
  // Term by term, each against its value by hand: an end one update period stale at the power
  // there (100 W at the start, 300 W at the end), and the GPU's 5 % of its 400 J.
  const double update_period_j[] = {0.001 * 100 + 0.001 * 300, 0.1 * 100 + 0.1 * 300};
  const double calibration_j[] = {0.0, 0.05 * 400};
  for (std::size_t c = 0; c < 2; ++c) {
    SCOPED_TRACE(c);
    EXPECT_NEAR(run.components[c].measured.uncertainty.update_period_j, update_period_j[c], 1e-9);
    EXPECT_NEAR(window.components[c].measured.uncertainty.update_period_j, update_period_j[c],
                1e-9);
    EXPECT_NEAR(run.components[c].measured.uncertainty.calibration_j, calibration_j[c], 1e-9);
    EXPECT_NEAR(window.components[c].measured.uncertainty.calibration_j, calibration_j[c], 1e-9);
  }
  // Inside the run, the interpolated ends add what the spacing of the samples leaves open.
  const WindowEnergy inner = measure_window(timeline, {0, 1}, 50 * kMs, 1950 * kMs);
  EXPECT_GT(inner.total.uncertainty_j(), 0.0);
}

// An outage counts where it happened: a window after it gets one segment's uncertainty, the
// whole run two.
TEST(WindowEnergy, AGapCountsOnlyInTheWindowsThatContainIt) {
  ChannelSeries s;
  for (int i = 0; i <= 40; ++i) {
    if (i > 5 && i < 25) continue;  // no readings from 5 s to 25 s
    s.t_ns.push_back(i * 1000 * kMs);
    s.energy_j.push_back(100.0 * (i <= 5 ? i : i - 20));
  }
  ChannelInfo meter = counter("meter", 1.0);
  meter.quantity = Quantity::kAveragePower;
  meter.scale = 1.0;
  Timeline timeline = test::timeline_of({meter}, {s}, 1.0);
  timeline.stats[0].segments = 2;
  timeline.stats[0].gap_s = 20.0;
  timeline.stats[0].gaps = {{5000 * kMs, 25000 * kMs}};
  const auto after = measure_window(timeline, {0}, 30000 * kMs, 40000 * kMs);
  const auto whole = measure_window(timeline, {0}, 0, 40000 * kMs);
  // After the gap: 100 W x 1 s stale at each end, one segment; 10 s measured.
  EXPECT_NEAR(after.components[0].measured.uncertainty.update_period_j, 200.0, 1e-9);
  EXPECT_NEAR(after.components[0].measured.uncertainty.quantisation_j, 10.0, 1e-9);
  // The whole run: the ends again, twice for the two segments; 20 s measured.
  EXPECT_NEAR(whole.components[0].measured.uncertainty.update_period_j, 400.0, 1e-9);
  EXPECT_NEAR(whole.components[0].measured.uncertainty.quantisation_j, 20.0, 1e-9);
}

TEST(WindowEnergy, OnlyCoverChannelsMakeTheTotal) {
  const auto w = measure_window(
      test::timeline_of({counter("pkg"), counter("core")}, {step_series(), step_series()}, 0.1),
      {0}, 0, 1000 * kMs);
  EXPECT_NEAR(w.total.energy_j.value(), 100.0, 1e-9);
  EXPECT_TRUE(w.components[0].in_total);
  EXPECT_FALSE(w.components[1].in_total);
  EXPECT_NEAR(w.components[1].measured.energy_j.value(), 100.0, 1e-9);
}

TEST(WindowEnergy, OutsideTheReadingsIsSaid) {
  const auto w = measure_window(test::timeline_of({counter("p")}, {step_series()}, 0.1), {0},
                                1500 * kMs, 2500 * kMs);
  EXPECT_FALSE(w.components[0].covered);
  ASSERT_EQ(w.warnings.size(), 1u);
  EXPECT_EQ(w.warnings[0], (Warning{"window-outside-readings", "p", {}, {}}));
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
