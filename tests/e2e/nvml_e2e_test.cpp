// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace run` with GPUs: the production NVML loader on the fake libnvidia-ml.so.1, whose GPUs
// draw a configured power, so each GPU's energy is known: that power times the span the test's
// own clock allows (the command's sleep to the whole `jouletrace` process), never the report's.
#include <gtest/gtest.h>

#include <algorithm>

#include "e2e/e2e_support.hpp"

namespace jt {
namespace {

using test::component;

class FakeGpus : public ::testing::Test {
 protected:
  nlohmann::json run(const std::string& config, const std::string& seconds,
                     test::ProcessResult* result_out = nullptr) {
    test::write_file(tree_ / "nvml.conf", config);
    auto args = test::jouletrace_args(tree_, "run", test::fake_nvml_library());
    for (const auto& a : {std::string("--output"), (tree_ / "gpu.json").string(), std::string("--"),
                          std::string("sleep"), seconds}) {
      args.push_back(a);
    }
    const auto run =
        test::run_timed(args, {.env = {{"JT_FAKE_NVML_CONFIG", (tree_ / "nvml.conf").string()}}});
    EXPECT_EQ(run.result.exit_code, 0) << run.result.err;
    if (result_out != nullptr) *result_out = run.result;
    clock_ = run.clock(std::stod(seconds));
    auto report = test::read_json(tree_ / "gpu.json");
    EXPECT_TRUE(test::duration_within(report["duration_s"], clock_));
    return report;
  }
  test::TempTree tree_{"sysfs/no-sensors"};
  test::RunClock clock_;  // the last run's span, as the test's clock bounds it
};

// The fake computes energy from the time of each call, and the reads bracketing the run lie
// inside the test's bounds; what is left is its 1 mJ unit and a read's own time (12 ms at most
// on a loaded machine).
double bound_j(double watts) { return watts * 0.012; }

TEST_F(FakeGpus, CounterAndPowerOnlyGpusAreMeasuredAndLabelled) {
  test::ProcessResult result;
  const auto report =
      run("gpu uuid=GPU-aaaa name=FakeH100 power_w=200 energy=1 limit_w=700 initial_mj=9000000\n"
          "gpu uuid=GPU-bbbb name=FakeP100 power_w=150 energy=0 power=1\n",
          "1", &result);
  const auto* a = component(report, "nvml/GPU-aaaa");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->at("domain"), "gpu");
  EXPECT_EQ(a->at("method"), "counter");
  EXPECT_TRUE(test::energy_within(a->at("energy_j"), 200, clock_, bound_j(200)));
  EXPECT_TRUE(test::power_within(a->at("avg_power_w"), 200, clock_, bound_j(200)));
  const auto* b = component(report, "nvml/GPU-bbbb");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->at("method"), "power-integrated");
  EXPECT_TRUE(test::energy_within(b->at("energy_j"), 150, clock_, bound_j(150)));
  EXPECT_TRUE(test::power_within(b->at("avg_power_w"), 150, clock_, bound_j(150)));
  // Both over the same readings' span: in the ratio of their powers, whatever that span.
  EXPECT_NEAR(a->at("energy_j").get<double>() / 200, b->at("energy_j").get<double>() / 150, 0.012);
  EXPECT_EQ(b->at("index"), 1);
  // No CPU sensor on this fixture: the CPU is a labelled estimate next to the measured GPUs.
  EXPECT_EQ(report["total_method"], "mixed");
  EXPECT_EQ(report["total_cover"].size(), 3u);
  EXPECT_NE(result.err.find("FakeH100"), std::string::npos);
}

// Issue 10 item 13: a counter costing 3 ms of CPU per read is read once a second beside the
// GPU's power; the GPU's energy is still the counter's, and the GPU counts once.
TEST_F(FakeGpus, AnExpensiveCounterAnchorsThePowerAndTheGpuCountsOnce) {
  test::ProcessResult result;
  const auto report =
      run("gpu uuid=GPU-aaaa name=FakeH100 power_w=300 energy_cost_ms=3 util=50\n", "2", &result);
  const auto* gpu = component(report, "nvml/GPU-aaaa");
  ASSERT_NE(gpu, nullptr) << report.dump(2);
  EXPECT_EQ(gpu->at("method"), "counter");
  EXPECT_TRUE(test::energy_within(gpu->at("energy_j"), 300, clock_, bound_j(300))) << gpu->dump(2);
  EXPECT_EQ(component(report, "nvml/GPU-aaaa/energy"), nullptr);  // inside the GPU's figure
  EXPECT_DOUBLE_EQ(gpu->at("activity_max_pct").get<double>(), 50.0);
  EXPECT_EQ(report["total_cover"].size(), 2u);  // the GPU and the CPU model
  ASSERT_EQ(report["idle_waste"].size(), 1u);
  EXPECT_EQ(report["idle_waste"][0]["gpus"], 1);
}

TEST_F(FakeGpus, LostGpuKeepsItsEnergyUpToTheLossAndTheRunGoesOn) {
  test::ProcessResult result;
  const auto report =
      run("gpu uuid=GPU-lost power_w=300 lost_after_reads=6\n"
          "gpu uuid=GPU-fine power_w=100\n",
          "1", &result);
  const auto* lost = component(report, "nvml/GPU-lost");
  ASSERT_NE(lost, nullptr);
  EXPECT_TRUE(lost->at("lost").get<bool>());
  const double lost_at = lost->at("lost_at_s");
  EXPECT_GT(lost_at, 0.2);
  EXPECT_LT(lost_at, 0.9);
  // Energy up to the last good reading, which is at most one interval before the loss.
  const double e = lost->at("energy_j");
  EXPECT_LE(e, 300 * lost_at + bound_j(300));
  EXPECT_GE(e, 300 * (lost_at - 0.1) - bound_j(300));
  const auto* fine = component(report, "nvml/GPU-fine");
  ASSERT_NE(fine, nullptr);
  EXPECT_TRUE(test::energy_within(fine->at("energy_j"), 100, clock_, bound_j(100)));
  EXPECT_NE(result.err.find("device lost"), std::string::npos);
}

TEST_F(FakeGpus, CounterResetStartsASegmentAndTheGapIsReported) {
  // A twin at the same power that never resets is read in the same rounds: what the reset one
  // lacks is the energy of the gap between the read before the reset and the read after it.
  const auto report =
      run("gpu uuid=GPU-reset power_w=250 reset_after_reads=5\n"
          "gpu uuid=GPU-twin power_w=250\n",
          "1");
  const auto* c = component(report, "nvml/GPU-reset");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->at("segments"), 2);
  const double gap = c->at("gap_s");
  EXPECT_GT(gap, 0.0);
  EXPECT_LT(gap, 0.25);
  const auto* twin = component(report, "nvml/GPU-twin");
  ASSERT_NE(twin, nullptr);
  EXPECT_TRUE(test::energy_within(twin->at("energy_j"), 250, clock_, bound_j(250)));
  // Energy is measured everywhere but in the gap, and nothing is invented for it: the twin's
  // figure less at least half a 100 ms read interval and at most the 0.25 s gap bound, at 250 W.
  const double missing_j = twin->at("energy_j").get<double>() - c->at("energy_j").get<double>();
  EXPECT_GE(missing_j, 250 * 0.05) << c->dump(2);
  EXPECT_LE(missing_j, 250 * 0.25 + bound_j(250)) << c->dump(2);
  bool warned = false;
  for (const auto& w : report["warnings"])
    warned = warned || w.get<std::string>().find("reset") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST_F(FakeGpus, SensorsVerbListsGpusByUuid) {
  test::write_file(tree_ / "nvml.conf", "gpu uuid=GPU-cccc name=FakeA100 power_w=90\n");
  const auto result =
      test::run_process(test::jouletrace_args(tree_, "sensors", test::fake_nvml_library()),
                        {.env = {{"JT_FAKE_NVML_CONFIG", (tree_ / "nvml.conf").string()}}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("nvml/GPU-cccc"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("FakeA100"), std::string::npos);
}

TEST_F(FakeGpus, EnvironmentVariableNamesTheLibrary) {
  test::write_file(tree_ / "nvml.conf", "gpu uuid=GPU-dddd power_w=90\n");
  auto args = test::jouletrace_args(tree_, "sensors");
  const auto option = std::ranges::find(args, "--nvml-library");
  args.erase(option, option + 2);  // no --nvml-library
  const auto result =
      test::run_process(args, {.env = {{"JT_FAKE_NVML_CONFIG", (tree_ / "nvml.conf").string()},
                                       {"JOULETRACE_NVML_LIBRARY", test::fake_nvml_library()}}});
  EXPECT_NE(result.out.find("nvml/GPU-dddd"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace jt
