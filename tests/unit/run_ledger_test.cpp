#include "ledger/run_ledger.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "support/scripted_sensor.hpp"

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
  EXPECT_DOUBLE_EQ(result.total_energy_j.value(), 100 + 20 + 100 + 300);
  EXPECT_EQ(result.total_method, "counter");
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
  EXPECT_DOUBLE_EQ(result.total_energy_j.value(), 20.0);
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
  EXPECT_EQ(result.total_method, "power-integrated");
  // The script ramps the node's power 0, 40, 80 ... 400 W over 1 s: the trapezoid gives 200 J.
  EXPECT_NEAR(result.total_energy_j.value(), 200.0, 1e-9);
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
  EXPECT_DOUBLE_EQ(result.total_energy_j.value(), 120.0);
  EXPECT_TRUE(result.components[0].contained_in.empty());
}

TEST(RunLedger, ReadingsThatStopEarlyAreWarnedAbout) {
  auto sensor = std::make_unique<test::ScriptedSensor>(
      std::vector<ChannelInfo>{counter("gpu0", Domain::kGpu)}, [](std::size_t, std::size_t k) {
        const auto t = static_cast<std::int64_t>(k) * 100 * kMs;
        if (k > 2) return Reading{t, 0, 0, Reading::Status::kUnavailable};
        return Reading{t, 0, k * 30, Reading::Status::kOk};
      });
  std::vector<std::unique_ptr<Sensor>> sensors;
  sensors.push_back(std::move(sensor));
  Sampler sampler(std::move(sensors), SamplerOptions{});
  for (int i = 0; i < 11; ++i) sampler.sample_once();
  const auto result = summarise_run(sampler.snapshot(), 0, 1000 * kMs, std::nullopt);
  bool coverage = false;
  bool failed = false;
  for (const auto& w : result.warnings) {
    coverage = coverage || w.find("cover 0.200 s of the 1.000 s run") != std::string::npos;
    failed = failed || w.find("8 read(s) failed") != std::string::npos;
  }
  EXPECT_TRUE(coverage);
  EXPECT_TRUE(failed);
}

TEST(RunLedger, OtherDomainStaysOutOfTheTotal) {
  auto sampler = run_scripted({counter("pkg0", Domain::kPackage), counter("x", Domain::kOther)},
                              {100, 50}, 11);
  const auto result = summarise_run(sampler->snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_DOUBLE_EQ(result.total_energy_j.value(), 100.0);
}

TEST(RunLedger, ModelComponentIsLabelledAndCounted) {
  std::vector<std::unique_ptr<Sensor>> none;
  Sampler sampler(std::move(none), SamplerOptions{});
  CpuModel model{2.5, 7.0, "default"};
  const auto result = summarise_run(sampler.snapshot(), 0, 1000 * kMs, model);
  ASSERT_EQ(result.components.size(), 1u);
  EXPECT_EQ(result.components[0].method, Method::kModel);
  EXPECT_DOUBLE_EQ(result.total_energy_j.value(), 17.5);
  EXPECT_EQ(result.total_method, "model");
}

TEST(RunLedger, NothingMeasurableIsSaidNotZeroed) {
  std::vector<std::unique_ptr<Sensor>> none;
  Sampler sampler(std::move(none), SamplerOptions{});
  const auto result = summarise_run(sampler.snapshot(), 0, 1000 * kMs, std::nullopt);
  EXPECT_EQ(result.total_method, "none");
  EXPECT_TRUE(result.total_cover.empty());
  ASSERT_FALSE(result.warnings.empty());
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
  bool warned = false;
  for (const auto& w : result.warnings) warned = warned || w.find("pkg1") != std::string::npos;
  EXPECT_TRUE(warned);
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

}  // namespace
}  // namespace jt
