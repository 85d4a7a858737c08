// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/run_ledger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string_view>

#include "support/scripted_sensor.hpp"
#include "support/warning_support.hpp"

namespace jt {
namespace {

constexpr std::int64_t kMs = 1'000'000;

ChannelInfo counter(std::string id, Domain domain, std::vector<std::string> contains = {}) {
  ChannelInfo info;
  info.id = std::move(id);
  info.domain = domain;
  info.quantity = Quantity::kEnergyCounter;
  info.scale = 1.0;  // joules
  info.max_power_w = 1000.0;
  info.contains = std::move(contains);
  return info;
}

// Every channel c advances at watts[c] on a 100 ms clock for `rounds` rounds.
std::unique_ptr<Sampler> run_scripted(std::vector<ChannelInfo> channels, std::vector<double> watts,
                                      int rounds) {
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::move(channels), [watts](std::size_t c, std::size_t k) {
        const auto t = static_cast<std::int64_t>(k) * 100 * kMs;
        return Reading{t, 0, static_cast<std::uint64_t>(watts[c] * 0.1 * static_cast<double>(k)),
                       Reading::Status::kOk};
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  auto sampler = std::make_unique<Sampler>(std::move(sensors), SamplerOptions{});
  for (int i = 0; i < rounds; ++i) sampler->sample_once();
  return sampler;
}

TEST(RunLedger, TotalIsTheNonOverlappingCover) {
  auto sampler = run_scripted({counter("pkg0", Domain::kPackage, {"core0"}),
                               counter("core0", Domain::kCore), counter("dram0", Domain::kDram),
                               counter("pkg1", Domain::kPackage), counter("gpu0", Domain::kGpu)},
                              {100, 60, 20, 100, 300}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_DOUBLE_EQ(result.total.energy_j.value(), 100 + 20 + 100 + 300);
  EXPECT_EQ(result.total.method, Method::kCounter);
  EXPECT_EQ(result.total_cover, (std::vector<std::string>{"pkg0", "dram0", "pkg1", "gpu0"}));
  EXPECT_EQ(result.components[1].contained_in, "pkg0");
  EXPECT_FALSE(result.components[1].in_total);
  EXPECT_DOUBLE_EQ(result.components[0].avg_power_w, 100.0);
}

TEST(RunLedger, PsysReplacesPackageAndDram) {
  auto sampler = run_scripted(
      {counter("pkg0", Domain::kPackage, {"core0"}), counter("core0", Domain::kCore),
       counter("dram0", Domain::kDram), counter("psys", Domain::kPsys, {"pkg0", "dram0"})},
      {10, 5, 2, 20}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_EQ(result.total_cover, (std::vector<std::string>{"psys"}));
  EXPECT_DOUBLE_EQ(result.total.energy_j.value(), 20.0);
  EXPECT_EQ(result.components[1].contained_in, "pkg0");  // the smallest container
  EXPECT_EQ(result.components[0].contained_in, "psys");
}

TEST(RunLedger, NodeMeterIsTheTotalWhenPresent) {
  ChannelInfo node;
  node.id = "node";
  node.domain = Domain::kNode;
  node.quantity = Quantity::kAveragePower;
  node.scale = 1.0;
  auto sampler = run_scripted({counter("pkg0", Domain::kPackage), node}, {100, 400}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_EQ(result.total_cover, (std::vector<std::string>{"node"}));
  EXPECT_EQ(result.total.method, Method::kPowerIntegrated);
  // The script ramps the node's power 0, 40, 80 ... 400 W over 1 s: the trapezoid gives 200 J.
  EXPECT_NEAR(result.total.energy_j.value(), 200.0, 1e-9);
  EXPECT_EQ(result.components[0].contained_in, "node");
}

TEST(RunLedger, FailedContainerLeavesItsPartsInTheTotal) {
  // psys never answers: the packages and DRAM it would contain are the total instead.
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{counter("pkg0", Domain::kPackage), counter("dram0", Domain::kDram),
                               counter("psys", Domain::kPsys, {"pkg0", "dram0"})},
      [](std::size_t c, std::size_t k) {
        const auto t = static_cast<std::int64_t>(k) * 100 * kMs;
        if (c == 2) return Reading{t, 0, 0, Reading::Status::kUnavailable};
        return Reading{t, 0, k * (c == 0 ? 10 : 2), Reading::Status::kOk};
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  Sampler sampler(std::move(sensors), SamplerOptions{});
  for (int i = 0; i < 11; ++i) sampler.sample_once();
  const auto result = summarise_run(sampler.snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_EQ(result.total_cover, (std::vector<std::string>{"pkg0", "dram0"}));
  EXPECT_DOUBLE_EQ(result.total.energy_j.value(), 120.0);
  EXPECT_TRUE(result.components[0].contained_in.empty());
}

// Readings of a 300 W counter on a 100 ms clock that fail from read `failing_from` on.
Timeline counter_failing_from(std::size_t failing_from, int rounds) {
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{counter("gpu0", Domain::kGpu)},
      [failing_from](std::size_t, std::size_t k) {
        const auto t = static_cast<std::int64_t>(k) * 100 * kMs;
        if (k >= failing_from) return Reading{t, 0, 0, Reading::Status::kUnavailable};
        return Reading{t, 0, k * 30, Reading::Status::kOk};
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  Sampler sampler(std::move(sensors), SamplerOptions{});
  for (int i = 0; i < rounds; ++i) sampler.sample_once();
  return sampler.snapshot();
}

// The warning with this code about `subject`, or a failed assertion listing what there is.
const Warning& warning_of(const WindowResult& result, std::string_view code,
                          std::string_view subject) {
  const Warning* w = test::find_warning(result.warnings, code, subject);
  if (w == nullptr)
    ADD_FAILURE() << "no " << code << " about " << subject << " in\n"
                  << test::codes_of(result.warnings);
  static const Warning kNone;
  return w != nullptr ? *w : kNone;
}

TEST(RunLedger, ReadingsThatStopEarlyAreNotCountedPastThemAndWarnedAbout) {
  const auto result = summarise_run(counter_failing_from(3, 11), 0, 1000 * kMs, std::nullopt);
  EXPECT_NEAR(*result.components[0].measured.energy_j, 60.0, 1e-9);  // nothing made up for 0.8 s
  EXPECT_EQ(result.components[0].extrapolated_end_s, 0.0);
  // Readings at 0, 0.1 and 0.2 s of a 1 s run; the other 8 of the 11 reads failed.
  const Warning& coverage = warning_of(result, "partial-coverage", "gpu0");
  EXPECT_NEAR(figure(coverage, "read_s").value_or(-1), 0.2, 1e-9);
  EXPECT_NEAR(figure(coverage, "duration_s").value_or(-1), 1.0, 1e-9);
  EXPECT_NEAR(figure(coverage, "uncounted_start_s").value_or(-1), 0.0, 1e-9);
  EXPECT_NEAR(figure(coverage, "uncounted_end_s").value_or(-1), 0.8, 1e-9);
  EXPECT_EQ(figure(warning_of(result, "failed-reads", "gpu0"), "failed_reads"), 8.0);
}

TEST(RunLedger, AFailedLastReadIsExtrapolatedAndWarnedAbout) {
  const auto result = summarise_run(counter_failing_from(10, 11), 0, 1000 * kMs, std::nullopt);
  const ComponentResult& gpu = result.components[0];
  EXPECT_NEAR(*gpu.measured.energy_j, 300.0, 1e-9);  // the fixture's 300 W over the test's 1 s
  EXPECT_NEAR(gpu.extrapolated_end_s, 0.1, 1e-9);
  EXPECT_NEAR(gpu.measured.uncertainty.extrapolation_j, 30.0, 1e-9);
  EXPECT_GE(gpu.measured.uncertainty.total_j, 30.0);
  const Warning& w = warning_of(result, "extrapolated-ends", "gpu0");
  EXPECT_NEAR(figure(w, "extrapolated_end_s").value_or(-1), 0.1, 1e-9);
  EXPECT_FALSE(figure(w, "extrapolated_start_s"));
  EXPECT_EQ(figure(w, "failed_or_torn_reads"), 1.0);  // the last of the 11 reads
  EXPECT_NEAR(figure(w, "extrapolation_j").value_or(-1), 30.0, 1e-9);
}

// Issue 10 item 12: a counter whose first reading is torn used to lose the energy before its
// first good reading while its uncertainty stayed that of a clean run.
TEST(RunLedger, TornFirstReadingIsCoveredFromTheRateWithAWiderUncertainty) {
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{counter("pkg0", Domain::kPackage)}, [](std::size_t, std::size_t k) {
        const auto t = static_cast<std::int64_t>(k) * 1000 * kMs;
        if (k == 0) return Reading{t, 0, 0, Reading::Status::kSkipped};
        return Reading{t, 0, k * 100, Reading::Status::kOk};  // 100 W at -i 1s
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  Sampler sampler(std::move(sensors), SamplerOptions{.interval_s = 1.0});
  for (int i = 0; i < 10; ++i) sampler.sample_once();
  const auto result = summarise_run(sampler.snapshot(), 0, 9000 * kMs, std::nullopt);
  const ComponentResult& pkg = result.components[0];
  EXPECT_NEAR(*pkg.measured.energy_j, 900.0, 1e-9);  // the fixture's 100 W over the test's 9 s
  EXPECT_NEAR(pkg.extrapolated_start_s, 1.0, 1e-9);
  EXPECT_NEAR(pkg.measured.uncertainty.extrapolation_j, 100.0, 1e-9);
  const Warning& w = warning_of(result, "extrapolated-ends", "pkg0");
  EXPECT_NEAR(figure(w, "extrapolated_start_s").value_or(-1), 1.0, 1e-9);
  EXPECT_FALSE(figure(w, "extrapolated_end_s"));
  EXPECT_EQ(figure(w, "failed_or_torn_reads"), 1.0);  // the torn first reading
}

// Issue 10 item 8: readings that bracket the run (a BMC answering slowly is read before the
// start and after the end) are clipped to the run by interpolation.
TEST(RunLedger, ReadingsOutsideTheRunAreClippedToIt) {
  ChannelInfo meter = counter("bmc", Domain::kNode);
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{meter}, [](std::size_t, std::size_t k) {
        // Answers 2.5 s apart, each read taking 2.5 s: midpoints at -1.25 s, 1.25 s, ...
        const auto t = static_cast<std::int64_t>(k) * 2500 * kMs - 1250 * kMs;
        return Reading{t, 1250 * kMs, k * 1000, Reading::Status::kOk};  // 400 W
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  Sampler sampler(std::move(sensors), SamplerOptions{.interval_s = 2.5});
  for (int i = 0; i < 6; ++i) sampler.sample_once();  // the last one answers at 12.5 s
  const auto result = summarise_run(sampler.snapshot(), 0, 10'000 * kMs, std::nullopt);
  EXPECT_NEAR(*result.components[0].measured.energy_j, 4000.0, 1e-6);  // 400 W x 10 s, not 12.5 s
  EXPECT_NEAR(result.components[0].measured.covered_s, 10.0, 1e-9);
  EXPECT_EQ(result.components[0].extrapolated_start_s + result.components[0].extrapolated_end_s,
            0.0);
}

TEST(RunLedger, OtherDomainStaysOutOfTheTotal) {
  auto sampler = run_scripted({counter("pkg0", Domain::kPackage), counter("x", Domain::kOther)},
                              {100, 50}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_DOUBLE_EQ(result.total.energy_j.value(), 100.0);
}

TEST(RunLedger, ModelComponentIsLabelledAndCounted) {
  std::vector<std::unique_ptr<Sensor>> none;
  Sampler sampler(std::move(none), SamplerOptions{});
  CpuModel model{2.5, 7.0, "default"};
  const auto result = summarise_run(sampler.snapshot(), 0, 1000 * kMs, model);
  ASSERT_EQ(result.components.size(), 1u);
  EXPECT_EQ(result.components[0].measured.method, Method::kModel);
  EXPECT_DOUBLE_EQ(result.total.energy_j.value(), 17.5);
  EXPECT_EQ(result.total.method, Method::kModel);
}

TEST(RunLedger, NothingMeasurableIsSaidNotZeroed) {
  std::vector<std::unique_ptr<Sensor>> none;
  Sampler sampler(std::move(none), SamplerOptions{});
  const auto result = summarise_run(sampler.snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_EQ(result.total.method, Method::kNone);
  EXPECT_TRUE(result.total_cover.empty());
  warning_of(result, "no-total", "run");
}

TEST(RunLedger, ChannelWithoutReadingsIsWarnedAboutAndLeftOut) {
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{counter("pkg0", Domain::kPackage),
                               counter("pkg1", Domain::kPackage)},
      [](std::size_t c, std::size_t k) {
        const auto t = static_cast<std::int64_t>(k) * 100 * kMs;
        if (c == 1) return Reading{t, 0, 0, Reading::Status::kUnavailable};
        return Reading{t, 0, k * 10, Reading::Status::kOk};
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  Sampler sampler(std::move(sensors), SamplerOptions{});
  for (int i = 0; i < 5; ++i) sampler.sample_once();
  const auto result = summarise_run(sampler.snapshot(), 0, 400 * kMs, std::nullopt);
  EXPECT_EQ(result.total_cover, (std::vector<std::string>{"pkg0"}));
  EXPECT_FALSE(result.components[1].in_total);
  const Warning& w = warning_of(result, "no-usable-reading", "pkg1");
  EXPECT_EQ(figure(w, "failed_reads"), 5.0);  // every one of the 5 rounds
  EXPECT_EQ(figure(w, "skipped_reads"), 0.0);
}

TEST(Sampler, ShortensTheIntervalBeforeACounterCanWrapTwice) {
  ChannelInfo info = counter("pkg0", Domain::kPackage);
  info.scale = 1e-6;
  info.wrap_modulus = 10'000'001;  // 10 J range
  info.max_power_w = 100.0;        // wraps every 0.1 s at worst
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{info}, [](std::size_t, std::size_t) {
        return Reading{0, 0, 0, Reading::Status::kOk};
      }));
  Sampler sampler(std::move(sensors), SamplerOptions{.interval_s = 1.0});
  EXPECT_NEAR(sampler.interval_s(), 0.05, 1e-6);
  EXPECT_FALSE(sampler.interval_note().empty());
}

TEST(Sampler, ThreadSamplesUntilStopped) {
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{counter("pkg0", Domain::kPackage)}, [](std::size_t, std::size_t k) {
        return Reading{static_cast<std::int64_t>(k) * kMs, 0, k, Reading::Status::kOk};
      }));
  Sampler sampler(std::move(sensors), SamplerOptions{.interval_s = 0.001});
  sampler.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  sampler.stop();
  EXPECT_GT(sampler.rounds(), 5u);  // ~100 on an idle machine; a loaded one runs late
  EXPECT_EQ(sampler.series()[0].t_ns.size(), sampler.rounds());
}

// Issue 10 item 3: a psys counter that stopped advancing made the total 0 J while the packages
// read 2451 J.
TEST(RunLedger, ContainerReadingLessThanItsPartsIsRejectedAndThePartsCount) {
  auto sampler = run_scripted({counter("pkg0", Domain::kPackage), counter("dram0", Domain::kDram),
                               counter("psys", Domain::kPsys, {"pkg0", "dram0"})},
                              {245, 30, 0}, 101);
  const auto result = summarise_run(sampler->snapshot(), 0, 10'000 * kMs, std::nullopt);
  ASSERT_TRUE(result.total.energy_j);
  EXPECT_NEAR(*result.total.energy_j, 2750.0, 1e-6);  // the fixture's 275 W over the test's 10 s
  EXPECT_EQ(result.total_cover, (std::vector<std::string>{"pkg0", "dram0"}));
  EXPECT_EQ(result.components[2].set_aside,
            "0.0 J, less than the 2750.0 J of the parts it contains");
  EXPECT_FALSE(result.components[2].in_total);
  EXPECT_TRUE(result.components[0].contained_in.empty());
  const Warning& w = warning_of(result, "container-below-parts", "psys");
  EXPECT_EQ(figure(w, "energy_j"), 0.0);
  EXPECT_NEAR(figure(w, "parts_j").value_or(-1), 2750.0, 1e-6);
  EXPECT_EQ(detail(w, "held_against"), "parts");
  EXPECT_EQ(detail(w, "parts"), "pkg0, dram0");
}

TEST(RunLedger, AContainerLostMidRunGivesWayToItsPartsWithoutBeingDoubted) {
  // psys stops answering half way; the packages go on. Its loss is its warning, not a doubt.
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{counter("pkg0", Domain::kPackage),
                               counter("psys", Domain::kPsys, {"pkg0"})},
      [](std::size_t c, std::size_t k) {
        const auto t = static_cast<std::int64_t>(k) * 100 * kMs;
        if (c == 1 && k > 50) return Reading{t, 0, 0, Reading::Status::kLost};
        return Reading{t, 0, k * (c == 0 ? 20 : 30), Reading::Status::kOk};
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  Sampler sampler(std::move(sensors), SamplerOptions{});
  for (int i = 0; i < 101; ++i) sampler.sample_once();
  const auto result = summarise_run(sampler.snapshot(), 0, 10'000 * kMs, std::nullopt);
  EXPECT_TRUE(result.components[1].lost);
  EXPECT_FALSE(has_warning(result.warnings, "container-below-parts"));
  // Its parts were read to the end: they stand for the run, not psys up to its loss.
  EXPECT_EQ(result.components[1].set_aside,
            "lost 5.100 s into the run; its parts, read on, count instead");
  EXPECT_EQ(result.total_cover, (std::vector<std::string>{"pkg0"}));
  EXPECT_NEAR(*result.total.energy_j, 2000.0, 1e-6);  // 200 W over the test's 10 s
  const Warning& w = warning_of(result, "container-lost", "psys");
  EXPECT_NEAR(figure(w, "lost_at_s").value_or(-1), 5.1, 1e-9);  // the first read after 50 rounds
  EXPECT_EQ(detail(w, "parts"), "pkg0");
}

TEST(RunLedger, ContainerWithinItsPartsUncertaintyIsKept) {
  // psys a little below its parts (it is read a few microseconds earlier): no reason to doubt.
  auto sampler = run_scripted({counter("pkg0", Domain::kPackage), counter("dram0", Domain::kDram),
                               counter("psys", Domain::kPsys, {"pkg0", "dram0"})},
                              {245, 30, 274}, 101);
  const auto result = summarise_run(sampler->snapshot(), 0, 10'000 * kMs, std::nullopt);
  EXPECT_EQ(result.total_cover, (std::vector<std::string>{"psys"}));
  EXPECT_TRUE(result.components[2].set_aside.empty());
}

// Issue 10 item 7: a node meter at 0 J (a kWh sensor over a 5 s run) vanished from the total
// with no warning.
TEST(RunLedger, NodeMeterReadingLessThanTheCpusIsRejectedWithAWarning) {
  auto sampler = run_scripted({counter("pkg0", Domain::kPackage), counter("gpu0", Domain::kGpu),
                               counter("bmc", Domain::kNode)},
                              {100, 300, 0}, 51);
  const auto result = summarise_run(sampler->snapshot(), 0, 5'000 * kMs, std::nullopt);
  ASSERT_TRUE(result.total.energy_j);
  EXPECT_NEAR(*result.total.energy_j, 2000.0, 1e-6);
  EXPECT_FALSE(result.coverage);
  const Warning& w = warning_of(result, "container-below-parts", "bmc");
  EXPECT_EQ(figure(w, "energy_j"), 0.0);
  EXPECT_NEAR(figure(w, "parts_j").value_or(-1), 500.0, 1e-6);  // pkg0's 100 W over 5 s
  EXPECT_EQ(detail(w, "held_against"), "cpus-and-memory");
  EXPECT_EQ(detail(w, "parts"), "pkg0");
}

TEST(RunLedger, NodeMeterBelowItsGpusButAboveItsCpusStaysTheTotal) {
  // DCMI often leaves GPUs out: the meter is the total, and the report says the parts exceed it.
  auto sampler = run_scripted({counter("pkg0", Domain::kPackage), counter("gpu0", Domain::kGpu),
                               counter("bmc", Domain::kNode)},
                              {100, 300, 250}, 51);
  const auto result = summarise_run(sampler->snapshot(), 0, 5'000 * kMs, std::nullopt);
  EXPECT_EQ(result.total_cover, (std::vector<std::string>{"bmc"}));
  const Warning& w = warning_of(result, "parts-exceed-node-meter", "bmc");
  EXPECT_NEAR(figure(w, "parts_j").value_or(-1), 2000.0, 1e-6);  // 100 W + 300 W over 5 s
  EXPECT_NEAR(figure(w, "node_j").value_or(-1), 1250.0, 1e-6);   // 250 W over 5 s
}

}  // namespace
}  // namespace jt
