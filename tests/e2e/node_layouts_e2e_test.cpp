// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace run` on node layouts from public sources (issue 10; fixtures cite them in
// tests/fixtures/sysfs/README.md): whatever contains what, the total counts each joule once and
// matches the power the fixture was given times the test's own clock.
#include <gtest/gtest.h>

#include <string>

#include "e2e/e2e_support.hpp"

namespace jt {
namespace {

using test::component;
using test::contains;
using test::read_json;

struct LayoutRun {
  nlohmann::json report;
  test::ProcessResult result;
  test::RunClock clock;  // `sleep 1` to the whole process, on the test's clock
};

LayoutRun run_sleep(const test::TempTree& tree, const std::string& nvml_config) {
  std::map<std::string, std::string> env;
  std::string library = "/nonexistent/nvml.so";
  if (!nvml_config.empty()) {
    test::write_file(tree / "nvml.conf", nvml_config);
    env["JT_FAKE_NVML_CONFIG"] = (tree / "nvml.conf").string();
    library = test::fake_nvml_library();
  }
  env["JOULETRACE_PROFILE"] = (tree / "no-profile.json").string();
  auto argv = test::jouletrace_args(tree, "run", library);
  for (const char* a : {"--no-bmc", "-o"}) argv.push_back(a);
  argv.push_back((tree / "r.json").string());
  for (const char* a : {"--", "sleep", "1"}) argv.push_back(a);
  LayoutRun run;
  const auto timed = test::run_timed(argv, {.env = env});
  run.result = timed.result;
  run.clock = timed.clock(1.0);
  EXPECT_EQ(run.result.exit_code, 0) << run.result.err;
  run.report = read_json(tree / "r.json");
  EXPECT_TRUE(test::duration_within(run.report["duration_s"], run.clock));
  return run;
}

// Power channels at a constant value: the integral is exact but for the ends' interpolation.
double bound_j(double watts) { return watts * 0.02; }

TEST(NodeLayouts, QuadGraceHopperIsTheSumOfItsModulesWithEachGpuInside) {
  test::TempTree tree("sysfs/grace-hopper-4s");
  std::string gpus;
  for (int s = 0; s < 4; ++s) {
    gpus += "gpu uuid=GPU-" + std::to_string(s) + " name=FakeGH200 power_w=400 pci=00" +
            std::to_string(s) + "9:01:00.0\n";
  }
  const LayoutRun run = run_sleep(tree, gpus);
  // Modules of 600, 605, 610 and 615 W (README): 2430 W. Not socket 0's CPU rail (110 W),
  // and not the modules plus their GPUs.
  EXPECT_TRUE(test::energy_within(run.report["total_energy_j"], 2430.0, run.clock, bound_j(2430.0)))
      << run.report.dump(2);
  for (int s = 0; s < 4; ++s) {
    const auto* gpu = component(run.report, "nvml/GPU-" + std::to_string(s));
    ASSERT_NE(gpu, nullptr);
    EXPECT_EQ(gpu->at("contained_in"), "hwmon/grace" + std::to_string(s) + "/module");
    const auto* cpu = component(run.report, "hwmon/grace" + std::to_string(s) + "/cpu");
    ASSERT_NE(cpu, nullptr);
    EXPECT_EQ(cpu->at("domain"), "core");
    EXPECT_EQ(cpu->at("contained_in"), "hwmon/grace" + std::to_string(s) + "/grace");
  }
  EXPECT_FALSE(contains(run.result.err, "two node meters")) << run.result.err;
}

TEST(NodeLayouts, GraceSuperchipIsItsTwoSockets) {
  test::TempTree tree("sysfs/grace-superchip");
  const LayoutRun run = run_sleep(tree, "");
  // The two sockets' Grace rails, 250 and 260 W (README): 510 W.
  EXPECT_TRUE(test::energy_within(run.report["total_energy_j"], 510.0, run.clock, bound_j(510.0)))
      << run.report.dump(2);
  EXPECT_EQ(run.report["total_cover"],
            (nlohmann::json{"hwmon/grace0/grace", "hwmon/grace1/grace"}));
}

TEST(NodeLayouts, ApuCountsTheCpuOnce) {
  test::TempTree tree("sysfs/amd-apu");
  const auto writer = test::start_live_writer(
      tree, {"--channel", (tree / "class/powercap/intel-rapl:0/energy_uj").string() + ":40",
             "--channel", (tree / "class/powercap/intel-rapl:0:0/energy_uj").string() + ":25"});
  const LayoutRun run = run_sleep(tree, "");
  // The APU's 75 W holds the package's 40 W; the discrete GPU's 120 W is beside it.
  EXPECT_TRUE(test::energy_within(run.report["total_energy_j"], 195.0, run.clock, bound_j(195.0)))
      << run.report.dump(2);
  const auto* package = component(run.report, "powercap/intel-rapl:0");
  ASSERT_NE(package, nullptr);
  EXPECT_EQ(package->at("contained_in"), "hwmon/amdgpu/power1");
  EXPECT_TRUE(test::energy_within(package->at("energy_j"), 40.0, run.clock, bound_j(40.0)));
}

TEST(NodeLayouts, XeCardCountsItsPackageOnceAndIsOneGpu) {
  test::TempTree tree("sysfs/intel-xe-bmg");
  const auto dir = tree / "class/hwmon/hwmon0";
  const auto writer =
      test::start_live_writer(tree, {"--channel", (dir / "energy1_input").string() + ":150",
                                     "--channel", (dir / "energy2_input").string() + ":100"});
  const LayoutRun run = run_sleep(tree, "");
  // The card's 150 W holds its package's 100 W.
  EXPECT_TRUE(test::energy_within(run.report["total_energy_j"], 150.0, run.clock, bound_j(150.0)))
      << run.report.dump(2);
  const auto* pkg = component(run.report, "hwmon/xe/energy2");
  ASSERT_NE(pkg, nullptr);
  EXPECT_EQ(pkg->at("contained_in"), "hwmon/xe/energy1");
  ASSERT_EQ(run.report["idle_waste"].size(), 1u);
  EXPECT_EQ(run.report["idle_waste"][0]["gpus"], 1);
}

}  // namespace
}  // namespace jt
