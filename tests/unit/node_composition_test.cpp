// SPDX-License-Identifier: BSD-3-Clause
// The ledger's whole-node view: uncertainty budgets, node coverage and the rest of the node,
// activity windows and idle-accelerator waste; and the sampler's threads for slow meters.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>

#include "core/clock.hpp"
#include "ledger/idle_waste.hpp"
#include "ledger/run_ledger.hpp"
#include "ledger/window_energy.hpp"
#include "support/scripted_sensor.hpp"
#include "support/warning_support.hpp"

namespace jt {
namespace {

constexpr std::int64_t kMs = 1'000'000;

ChannelInfo channel(std::string id, Domain domain, Quantity quantity = Quantity::kEnergyCounter) {
  ChannelInfo info;
  info.id = std::move(id);
  info.domain = domain;
  info.quantity = quantity;
  info.scale = 1e-3;  // mJ or mW
  info.max_power_w = 1000.0;
  return info;
}

struct Script {
  std::vector<double> watts;
  std::vector<float> activity;  // per channel; negative: none
};

// Every channel c advances at watts[c] on a 100 ms clock for `rounds` rounds.
std::unique_ptr<Sampler> run_scripted(std::vector<ChannelInfo> channels, Script script,
                                      int rounds) {
  std::vector<ChannelInfo> infos = channels;
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::move(channels), [script, infos](std::size_t c, std::size_t k) {
        const auto t = static_cast<std::int64_t>(k) * 100 * kMs;
        const double raw = infos[c].quantity == Quantity::kEnergyCounter
                               ? script.watts[c] * 0.1 * static_cast<double>(k) / infos[c].scale
                               : script.watts[c] / infos[c].scale;
        Reading r{t, 50'000, static_cast<std::uint64_t>(raw), Reading::Status::kOk};
        if (c < script.activity.size()) r.activity_pct = script.activity[c];
        return r;
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  auto sampler = std::make_unique<Sampler>(std::move(sensors), SamplerOptions{});
  for (int i = 0; i < rounds; ++i) sampler->sample_once();
  return sampler;
}

TEST(Uncertainty, CounterBudgetHasEachTermOfSensorsSection93) {
  ChannelInfo info = channel("gpu0", Domain::kGpu);
  info.update_period_s = 0.1;
  info.calibration_error = 0.05;
  auto sampler = run_scripted({info}, {{300.0}, {}}, 101);  // 10 s at 300 W
  const auto result = summarise_run(sampler->snapshot(), 0, 10'000 * kMs, std::nullopt);
  const auto& u = result.components[0].measured.uncertainty;
  EXPECT_NEAR(result.components[0].measured.energy_j.value(), 3000.0, 1e-6);
  EXPECT_DOUBLE_EQ(u.quantisation_j, 2e-3);             // one mJ per endpoint
  EXPECT_NEAR(u.update_period_j, 2 * 0.1 * 300, 1e-9);  // each end one update period stale
  EXPECT_NEAR(u.timing_j, 300 * 2 * 50e-6, 1e-9);       // reads took 100 us: +/- 50 us
  EXPECT_NEAR(u.calibration_j, 150.0, 1e-9);            // 5 % of 3 kJ
  EXPECT_TRUE(u.calibration_known);
  EXPECT_NEAR(u.total_j, std::hypot(2e-3, 60.0, 0.03) + 150.0, 1e-9);
  EXPECT_NEAR(result.total.uncertainty_j(), std::hypot(2e-3, 60.0, 0.03) + 150.0,
              1e-9);  // one part
}

TEST(Uncertainty, UnknownCalibrationIsNotAZeroPretendingToBeKnown) {
  auto sampler = run_scripted({channel("pkg0", Domain::kPackage)}, {{50.0}, {}}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_FALSE(result.components[0].measured.uncertainty.calibration_known);
}

TEST(Uncertainty, CoarseCounterStepIsItsQuantisation) {
  ChannelInfo info = channel("psys", Domain::kPsys, Quantity::kEnergyCounter);
  info.scale = 1e-6;      // a uJ file ...
  info.resolution = 1.0;  // ... that moves in whole joules (Sapphire Rapids psys)
  auto sampler = run_scripted({info}, {{300.0}, {}}, 101);
  const auto result = summarise_run(sampler->snapshot(), 0, 10'000 * kMs, std::nullopt);
  EXPECT_NEAR(result.components[0].measured.uncertainty.quantisation_j, 2.0, 1e-12);  // 1 J per end
}

TEST(Uncertainty, PowerChannelQuantisationScalesWithTime) {
  ChannelInfo info = channel("bmc", Domain::kNode, Quantity::kInstantPower);
  info.scale = 1.0;  // whole watts, as DCMI reports them
  auto sampler = run_scripted({info}, {{400.0}, {}}, 101);
  const auto result = summarise_run(sampler->snapshot(), 0, 10'000 * kMs, std::nullopt);
  EXPECT_NEAR(result.components[0].measured.uncertainty.quantisation_j, 10.0, 1e-9);  // 1 W x 10 s
}

TEST(Uncertainty, TotalAddsIndependentTermsInQuadratureAndCalibrationLinearly) {
  const UncertaintyBudget a{.quantisation_j = 3.0,
                            .update_period_j = 4.0,
                            .calibration_j = 1.0,
                            .calibration_known = true,
                            .total_j = 6.0};
  const UncertaintyBudget b{
      .timing_j = 12.0, .calibration_j = 2.0, .calibration_known = true, .total_j = 14.0};
  EXPECT_DOUBLE_EQ(combined_budget({&a, &b}).total_j, 13.0 + 3.0);
  const UncertaintyBudget guessed{.extrapolation_j = 84.0};
  EXPECT_DOUBLE_EQ(combined_budget({&a, &b, &guessed}).total_j, 85.0 + 3.0);
}

TEST(NodeCoverage, RestOfNodeIsTheMeterMinusTheParts) {
  auto sampler = run_scripted({channel("pkg0", Domain::kPackage), channel("dram0", Domain::kDram),
                               channel("gpu0", Domain::kGpu), channel("bmc", Domain::kNode)},
                              {{100.0, 20.0, 300.0, 600.0}, {}}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  ASSERT_TRUE(result.coverage);
  EXPECT_EQ(result.total_cover, std::vector<std::string>{"bmc"});
  EXPECT_NEAR(result.coverage->node.energy_j.value(), 600.0, 1e-6);
  EXPECT_NEAR(result.coverage->parts.energy_j.value(), 420.0, 1e-6);
  EXPECT_NEAR(result.coverage->coverage.value(), 0.7, 1e-9);
  EXPECT_NEAR(result.coverage->rest.energy_j.value(), 180.0, 1e-6);
  EXPECT_EQ(result.coverage->part_ids, (std::vector<std::string>{"pkg0", "dram0", "gpu0"}));
  EXPECT_EQ(result.coverage->node.method, Method::kCounter);
  EXPECT_EQ(result.coverage->parts.method, Method::kCounter);
  EXPECT_GT(result.coverage->rest.uncertainty_j(), 0.0);
}

TEST(NodeCoverage, PartsAboveTheMeterAreWarnedAbout) {
  auto sampler = run_scripted({channel("gpu0", Domain::kGpu), channel("bmc", Domain::kNode)},
                              {{700.0, 300.0}, {}}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  ASSERT_TRUE(result.coverage);
  EXPECT_GT(result.coverage->coverage, 2.0);
  EXPECT_LT(result.coverage->rest.energy_j, 0.0);  // stated, not clamped away
  const Warning* w = test::find_warning(result.warnings, "parts-exceed-node-meter", "bmc");
  ASSERT_NE(w, nullptr) << test::codes_of(result.warnings);
  EXPECT_NEAR(figure(*w, "parts_j").value_or(-1), 700.0, 1e-6);  // gpu0's 700 W over 1 s
  EXPECT_NEAR(figure(*w, "node_j").value_or(-1), 300.0, 1e-6);
}

TEST(NodeCoverage, AnEnergyCounterMeterBeatsAnIntegratedOne) {
  ChannelInfo acpi = channel("acpi", Domain::kNode, Quantity::kAveragePower);
  acpi.scale = 1.0;
  auto sampler =
      run_scripted({channel("pkg0", Domain::kPackage), acpi, channel("bmc", Domain::kNode)},
                   {{100.0, 500.0, 600.0}, {}}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_EQ(result.total_cover, std::vector<std::string>{"bmc"});
  EXPECT_TRUE(result.components[1].contained_in.empty());  // a cross-check, not a part
  EXPECT_FALSE(result.components[1].in_total);
  ASSERT_TRUE(result.coverage);
  EXPECT_EQ(result.coverage->part_ids, std::vector<std::string>{"pkg0"});
  const Warning* w = test::find_warning(result.warnings, "two-node-meters", "bmc");
  ASSERT_NE(w, nullptr) << test::codes_of(result.warnings);
  EXPECT_EQ(detail(*w, "other"), "acpi");
  EXPECT_EQ(detail(*w, "method"), "counter");
  EXPECT_NEAR(figure(*w, "energy_j").value_or(-1), 600.0, 1e-6);  // 600 W over 1 s
  EXPECT_NEAR(figure(*w, "other_energy_j").value_or(-1), 500.0, 1e-6);
}

TEST(NodeCoverage, AMeterThatReadNothingIsNotTheTotal) {
  auto sampler = run_scripted({channel("pkg0", Domain::kPackage), channel("bmc", Domain::kNode)},
                              {{100.0, 0.0}, {}}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_EQ(result.total_cover, std::vector<std::string>{"pkg0"});
  EXPECT_FALSE(result.coverage);
  EXPECT_NEAR(result.total.energy_j.value(), 100.0, 1e-6);
}

TEST(Uncertainty, UnknownRefreshPeriodIsNoShorterThanThePollInterval) {
  auto sampler = run_scripted({channel("bmc", Domain::kNode)}, {{500.0}, {}}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  // update_period_s = 0 (a BMC that does not say): each end is one 100 ms poll stale.
  EXPECT_NEAR(result.components[0].measured.uncertainty.update_period_j, 2 * 0.1 * 500.0, 1e-6);
}

TEST(NodeCoverage, NoMeterNoCoverage) {
  auto sampler = run_scripted({channel("pkg0", Domain::kPackage)}, {{100.0}, {}}, 11);
  EXPECT_FALSE(summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt).coverage);
}

TEST(Activity, MeanAndPeakOverTheWindowOnly) {
  ChannelSeries s;
  s.activity_t_ns = {0, 100, 200, 300, 400};
  s.activity_pct = {0, 50, 100, 0, 90};
  const auto a = activity_between(s, 100, 300);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->samples, 3U);
  EXPECT_DOUBLE_EQ(a->mean_pct, 50.0);
  EXPECT_DOUBLE_EQ(a->max_pct, 100.0);
  EXPECT_FALSE(activity_between(s, 500, 600));
}

TEST(Activity, DenseSamplesMergeKeepingTheBurst) {
  ChannelInfo info = channel("gpu0", Domain::kGpu);
  info.reports_activity = true;
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{info}, [](std::size_t, std::size_t k) {
        Reading r{static_cast<std::int64_t>(k) * kMs, 0, k * 10, Reading::Status::kOk};
        r.activity_pct = k == 5 ? 80.0F : 0.0F;
        return r;
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  SamplerOptions options;
  options.timeline_min_spacing_s = 0.01;  // 1 ms reads kept at 10 ms spacing
  Sampler sampler(std::move(sensors), options);
  for (int i = 0; i < 20; ++i) sampler.sample_once();
  const auto& s = sampler.series()[0];
  EXPECT_LT(s.activity_pct.size(), 20U);
  const auto a = activity_between(s, 0, 20 * kMs);
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(a->max_pct, 80.0);
}

Measurement total_of(const WindowResult& run) { return run.total; }

TEST(IdleWaste, IdleGpusAndTheirShareOfTheTotal) {
  std::vector<ChannelInfo> channels;
  for (int g = 0; g < 4; ++g) {
    ChannelInfo gpu = channel("gpu" + std::to_string(g), Domain::kGpu);
    gpu.reports_activity = true;
    channels.push_back(gpu);
  }
  channels.push_back(channel("pkg0", Domain::kPackage));
  // GPU 0 works, GPUs 1-3 idle at 60 W; the package draws 160 W.
  auto sampler = run_scripted(channels, {{300, 60, 60, 60, 160}, {95, 0, 0, 0.5F, -1}}, 11);
  const auto run = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  ASSERT_TRUE(run.components[0].activity_max_pct);
  const auto waste =
      find_idle_waste("run", waste_inputs(run), total_of(run), 1.0, 1.0, CpuActivity{4.0, 8});
  EXPECT_EQ(waste.gpus, 4);
  EXPECT_EQ(waste.gpus_used, 1);
  ASSERT_EQ(waste.idle_gpus.size(), 3U);
  EXPECT_NEAR(waste.idle_gpu_energy.energy_j.value(), 180.0, 1e-6);
  EXPECT_EQ(waste.idle_gpu_energy.method, Method::kCounter);
  EXPECT_NEAR(waste.idle_gpu_share.value(), 180.0 / 640.0, 1e-9);
  EXPECT_NEAR(waste.window_energy.energy_j.value(), 640.0, 1e-6);
  EXPECT_EQ(waste.gpus_unknown, 0);
  EXPECT_FALSE(waste.cpu_idle_while_gpus_worked);  // 4 s of CPU on 8 cores in 1 s: 50 % busy
}

TEST(IdleWaste, CpuIdleWhileGpusWorked) {
  ChannelInfo gpu = channel("gpu0", Domain::kGpu);
  gpu.reports_activity = true;
  auto sampler = run_scripted({gpu, channel("pkg0", Domain::kPackage)}, {{300, 100}, {90, -1}}, 11);
  const auto run = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  const auto waste =
      find_idle_waste("run", waste_inputs(run), total_of(run), 1.0, 1.0, CpuActivity{0.5, 64});
  EXPECT_TRUE(waste.cpu_idle_while_gpus_worked);
  ASSERT_TRUE(waste.cpu_busy_fraction);
  EXPECT_NEAR(*waste.cpu_busy_fraction, 0.5 / 64, 1e-12);
  EXPECT_NEAR(waste.cpu_share.value(), 0.25, 1e-9);
  EXPECT_EQ(waste.cpu_cores, 64);
  EXPECT_NEAR(waste.cpu_energy.energy_j.value(), 100.0, 1e-6);  // pkg0's 100 W over 1 s
}

TEST(IdleWaste, GpuWithoutUtilisationIsNeitherIdleNorUsed) {
  auto sampler = run_scripted({channel("gpu0", Domain::kGpu)}, {{300}, {}}, 11);
  const auto run = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  const auto waste =
      find_idle_waste("run", waste_inputs(run), total_of(run), 1.0, 1.0, std::nullopt);
  EXPECT_EQ(waste.gpus_unknown, 1);
  EXPECT_TRUE(waste.idle_gpus.empty());
  // Whether it idled is unknown, so the idle energy is too: null, never 0.
  EXPECT_FALSE(waste.idle_gpu_energy.energy_j.has_value());
  EXPECT_FALSE(waste.idle_gpu_share.has_value());
  EXPECT_EQ(waste.gpus, 1);
  EXPECT_EQ(waste.gpus_used, 0);
}

TEST(IdleWaste, PhaseWindowUsesOnlyItsOwnActivity) {
  ChannelInfo gpu = channel("gpu0", Domain::kGpu);
  gpu.reports_activity = true;
  // Busy in the first half second only.
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{gpu}, [](std::size_t, std::size_t k) {
        Reading r{static_cast<std::int64_t>(k) * 100 * kMs, 0, k * 30'000, Reading::Status::kOk};
        r.activity_pct = k <= 5 ? 90.0F : 0.0F;
        return r;
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  Sampler sampler(std::move(sensors), SamplerOptions{});
  for (int i = 0; i < 21; ++i) sampler.sample_once();
  const Timeline timeline = sampler.snapshot();
  const auto cover = cover_channels(timeline.channels, timeline.stats);
  const auto late = measure_window(timeline, cover, 1000 * kMs, 2000 * kMs);
  const auto waste = find_idle_waste("eval", waste_inputs(late, timeline.channels), late.total, 1.0,
                                     1.0, std::nullopt);
  ASSERT_EQ(waste.idle_gpus.size(), 1U);
  EXPECT_NEAR(waste.idle_gpu_energy.energy_j.value(), 300.0, 1e-6);
  const auto early = measure_window(timeline, cover, 0, 500 * kMs);
  EXPECT_TRUE(find_idle_waste("train", waste_inputs(early, timeline.channels), early.total, 0.5,
                              1.0, std::nullopt)
                  .idle_gpus.empty());
}

// A meter that takes 300 ms per read, as a BMC over HTTPS can.
class SlowSensor final : public Sensor {
 public:
  SlowSensor() {
    info_.id = "bmc";
    info_.domain = Domain::kNode;
    info_.quantity = Quantity::kInstantPower;
    info_.scale = 1.0;
  }
  std::string_view backend() const override { return "slow"; }
  std::span<const ChannelInfo> channels() const override { return {&info_, 1}; }
  void read(std::span<Reading> out) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    out[0] = Reading{monotonic_ns(), 0, 500, Reading::Status::kOk};
    ++reads;
  }
  double min_interval_s() const override { return 0.5; }
  std::atomic<int> reads{0};

 private:
  ChannelInfo info_;
};

class FastSensor final : public Sensor {
 public:
  FastSensor() {
    info_.id = "pkg0";
    info_.domain = Domain::kPackage;
    info_.scale = 1e-6;
  }
  std::string_view backend() const override { return "fast"; }
  std::span<const ChannelInfo> channels() const override { return {&info_, 1}; }
  void read(std::span<Reading> out) override {
    const std::int64_t now = monotonic_ns();
    out[0] = Reading{now, 0, static_cast<std::uint64_t>(now / 1000), Reading::Status::kOk};
  }

 private:
  ChannelInfo info_;
};

TEST(Sampler, SlowMeterHasAThreadOfItsOwn) {
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::make_unique<FastSensor>());
  auto slow = std::make_unique<SlowSensor>();
  SlowSensor* slow_raw = slow.get();
  sensors.push_back(std::move(slow));
  SamplerOptions options;
  options.interval_s = 0.01;
  Sampler sampler(std::move(sensors), options);
  EXPECT_EQ(sampler.slow_sensor_count(), 1U);
  EXPECT_DOUBLE_EQ(sampler.channel_interval_s(0), 0.01);
  EXPECT_DOUBLE_EQ(sampler.channel_interval_s(1), 0.5);
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  sampler.stop();
  // Had the meter shared the fast thread, 300 ms reads would allow at most ~5 rounds.
  EXPECT_GT(sampler.rounds(), 40U);
  EXPECT_GE(slow_raw->reads.load(), 1);
  EXPECT_LE(slow_raw->reads.load(), 3);
  EXPECT_GE(sampler.stats(1).samples, 1U);
}

TEST(Sampler, InspectDoesNotWaitForASlowMeter) {
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::make_unique<FastSensor>());
  sensors.push_back(std::make_unique<SlowSensor>());
  SamplerOptions options;
  options.interval_s = 0.01;
  Sampler sampler(std::move(sensors), options);
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the meter is mid-read
  const auto before = std::chrono::steady_clock::now();
  std::size_t seen = 0;
  sampler.sample_now_and_inspect(
      [&](const Timeline& timeline) { seen = timeline.channels.size(); });
  const auto waited = std::chrono::steady_clock::now() - before;
  sampler.stop();
  EXPECT_EQ(seen, 2U);
  EXPECT_LT(waited, std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace jt
