// SPDX-License-Identifier: BSD-3-Clause
// A GPU counter read once a second anchoring the same GPU's power read every 100 ms (issue 10,
// item 13): totals are the counter's, phases get the power's shape within a counter span.
#include "ledger/anchored_energy.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "ledger/run_ledger.hpp"
#include "ledger/window_energy.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

constexpr std::int64_t kMs = 1'000'000;

// Power 100 W for the first half of each second and 300 W for the second half: 200 J/s. The
// counter reads 2 % more than the power integral (NVML's two figures differ by that much).
double power_integral_j(std::int64_t t_ns) {
  const double t = static_cast<double>(t_ns) * 1e-9;
  const double whole = std::floor(t);
  const double part = t - whole;
  return 200.0 * whole + (part <= 0.5 ? 100.0 * part : 50.0 + 300.0 * (part - 0.5));
}

Timeline gpu_timeline(double seconds) {
  ChannelInfo power;
  power.id = "nvml/GPU-1";
  power.domain = Domain::kGpu;
  power.quantity = Quantity::kInstantPower;
  power.scale = 1e-3;
  ChannelInfo counter = power;
  counter.id = "nvml/GPU-1/energy";
  counter.quantity = Quantity::kEnergyCounter;
  counter.update_period_s = 0.1;
  counter.calibration_error = 0.05;
  counter.anchors = power.id;
  ChannelSeries shape;
  ChannelSeries anchor;
  for (std::int64_t t = 0; t <= static_cast<std::int64_t>(seconds * 1000) * kMs; t += 100 * kMs) {
    shape.t_ns.push_back(t);
    shape.energy_j.push_back(power_integral_j(t));
    if (t % (1000 * kMs) == 0) {
      anchor.t_ns.push_back(t);
      anchor.energy_j.push_back(1.02 * power_integral_j(t));
    }
  }
  return test::timeline_of({power, counter}, {shape, anchor}, 0.1);
}

TEST(AnchoredEnergy, TheRunIsTheCountersAndTheCounterLeavesTheTimeline) {
  const Timeline joined = with_anchored_energies(gpu_timeline(10.0));
  ASSERT_EQ(joined.channels.size(), 1u);
  EXPECT_EQ(joined.channels[0].id, "nvml/GPU-1");
  EXPECT_EQ(joined.channels[0].quantity, Quantity::kEnergyCounter);
  EXPECT_DOUBLE_EQ(joined.channels[0].calibration_error, 0.05);
  const auto run = summarise_run(joined, 0, 10'000 * kMs, std::nullopt);
  ASSERT_TRUE(run.total.energy_j);
  EXPECT_NEAR(*run.total.energy_j, 1.02 * 2000.0, 1e-6);  // the counter, not the power
  EXPECT_EQ(run.components[0].measured.method, Method::kCounter);
}

TEST(AnchoredEnergy, APhaseInsideACounterSpanFollowsThePowersShape) {
  const Timeline joined = with_anchored_energies(gpu_timeline(10.0));
  // The busy half of second 3: 300 W x 0.5 s, scaled to the counter.
  const auto phase = measure_window(joined, {0}, 3500 * kMs, 4000 * kMs);
  ASSERT_TRUE(phase.total.energy_j);
  EXPECT_NEAR(*phase.total.energy_j, 1.02 * 150.0, 1e-6);
  // Time alone would have given the counter's 204 J/s x 0.5 s = 102 J.
}

TEST(AnchoredEnergy, AfterTheLastCounterReadingThePowerCarriesOn) {
  const Timeline timeline = gpu_timeline(10.0);
  // A window ending between counter readings (an in-process window end, a checkpoint).
  const double at = shaped_energy(timeline.series[1], timeline.series[0], 10'000 * kMs) -
                    shaped_energy(timeline.series[1], timeline.series[0], 9'000 * kMs);
  EXPECT_NEAR(at, 1.02 * 200.0, 1e-6);
  ChannelSeries short_counter = timeline.series[1];
  short_counter.t_ns.resize(5);  // the counter stopped at 4 s
  short_counter.energy_j.resize(5);
  const double carried = shaped_energy(short_counter, timeline.series[0], 6'250 * kMs) -
                         shaped_energy(short_counter, timeline.series[0], 4'000 * kMs);
  EXPECT_NEAR(carried, power_integral_j(6'250 * kMs) - power_integral_j(4'000 * kMs), 1e-9);
}

TEST(AnchoredEnergy, WithoutAnchorsTheTimelineIsUnchanged) {
  Timeline timeline = gpu_timeline(2.0);
  timeline.channels[1].anchors.clear();
  const Timeline same = with_anchored_energies(timeline);
  EXPECT_EQ(same.channels.size(), 2u);
  EXPECT_EQ(same.series[0].energy_j, timeline.series[0].energy_j);
}

}  // namespace
}  // namespace jt
