// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace sensors` and `run` on a node with an AMD and an Intel GPU: the production loaders
// on the fake ROCm SMI and Level Zero, whose GPUs draw configured powers, beside the amdgpu hwmon
// fixture of the same AMD GPU. Expected energies are those powers times the span the test's own
// clock allows (docs/backends/amd.md, intel.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "e2e/e2e_support.hpp"

namespace jt {
namespace {

using test::component;

constexpr const char* kRocmConfig =
    "gpu name=AMD_Instinct_MI210 unique_id=1a2b3c pci=0000:c1:00.0 power_w=300 cap_w=300 "
    "busy=0\n";
constexpr const char* kZeConfig =
    "device name=Intel(R)_Data_Center_GPU_Max_1550 uuid=8680bd0b0000000000000000000000aa "
    "pci=0000:29:00.0 power_w=600 tiles=2 tile_w=250 busy=40\n";
constexpr const char* kAmd = "rocm_smi/GPU-00000000001a2b3c";
constexpr const char* kIntel = "level_zero/8680bd0b0000000000000000000000aa/device";

class AmdAndIntelGpus : public ::testing::Test {
 protected:
  AmdAndIntelGpus() {
    test::write_file(tree_ / "rocm.conf", kRocmConfig);
    test::write_file(tree_ / "ze.conf", kZeConfig);
  }
  std::vector<std::string> args(const std::string& verb) const {
    auto a = test::jouletrace_args(tree_, verb, "/nonexistent/nvml.so", JT_FAKE_ROCM_SMI,
                                   JT_FAKE_LEVEL_ZERO);
    a.push_back("--no-bmc");
    a.push_back("--no-agent");
    return a;
  }
  test::ProcessOptions env() const {
    return {.env = {{"JT_FAKE_ROCM_SMI_CONFIG", (tree_ / "rocm.conf").string()},
                    {"JT_FAKE_LEVEL_ZERO_CONFIG", (tree_ / "ze.conf").string()}}};
  }
  test::TempTree tree_{"sysfs/amd-mi210"};
};

TEST_F(AmdAndIntelGpus, SensorsListsBothWithMethodAndProvenance) {
  const auto result = test::run_process(args("sensors"), env());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find(kAmd), std::string::npos) << result.out;
  EXPECT_NE(result.out.find(kIntel), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("ROCm SMI " JT_FAKE_ROCM_SMI), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("Level Zero Sysman " JT_FAKE_LEVEL_ZERO), std::string::npos);
  EXPECT_NE(result.out.find("rsmi_dev_energy_count_get"), std::string::npos);
  // The amdgpu hwmon device of the same GPU is named and left out.
  EXPECT_NE(result.out.find("is read as rocm_smi/GPU-00000000001a2b3c"), std::string::npos)
      << result.out;
}

TEST_F(AmdAndIntelGpus, RunMeasuresEachGpuOnceAndTheIdleOneIsWaste) {
  auto a = args("run");
  for (const auto& s : {std::string("--output"), (tree_ / "run.json").string(), std::string("--"),
                        std::string("sleep"), std::string("1")}) {
    a.push_back(s);
  }
  const auto run = test::run_timed(a, env());
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const auto clock = run.clock(1.0);
  const auto report = test::read_json(tree_ / "run.json");
  // A read's own time at either end, at most 12 ms on a loaded machine.
  const auto slack = [](double watts) { return watts * 0.012; };
  const auto* amd = component(report, kAmd);
  ASSERT_NE(amd, nullptr) << report.dump(2);
  EXPECT_EQ(amd->at("method"), "counter");
  EXPECT_TRUE(test::energy_within(amd->at("energy_j"), 300, clock, slack(300)));
  const auto* intel = component(report, kIntel);
  ASSERT_NE(intel, nullptr);
  EXPECT_TRUE(test::energy_within(intel->at("energy_j"), 600, clock, slack(600)));
  // The tiles are parts of the Intel GPU, never beside it in the total.
  const auto* tile = component(report, "level_zero/8680bd0b0000000000000000000000aa/tile0");
  ASSERT_NE(tile, nullptr);
  EXPECT_FALSE(tile->at("in_total").get<bool>());
  EXPECT_TRUE(test::energy_within(tile->at("energy_j"), 250, clock, slack(250)));
  const auto& cover = report["total_cover"];
  EXPECT_EQ(std::count(cover.begin(), cover.end(), kAmd), 1);
  EXPECT_EQ(std::count(cover.begin(), cover.end(), kIntel), 1);
  EXPECT_EQ(cover.size(), 3u);  // the two GPUs and the modelled CPU
  // The AMD GPU never busy, the Intel GPU 40 % busy: one idle GPU, the AMD one.
  ASSERT_EQ(report["idle_waste"].size(), 1u);
  const auto& idle = report["idle_waste"][0];
  EXPECT_EQ(idle["gpus"], 2);
  EXPECT_EQ(idle["gpus_used"], 1);
  ASSERT_EQ(idle["idle_gpus"].size(), 1u);
  EXPECT_EQ(idle["idle_gpus"][0]["id"], kAmd);
}

TEST_F(AmdAndIntelGpus, RocrVisibleDevicesChargesTheJobOnlyItsAmdGpu) {
  auto a = args("run");
  for (const auto& s : {std::string("--output"), (tree_ / "run.json").string(), std::string("--"),
                        std::string("sleep"), std::string("0.5")}) {
    a.push_back(s);
  }
  auto options = env();
  options.env["ROCR_VISIBLE_DEVICES"] = "1";  // not this node's GPU 0
  options.env["ZE_AFFINITY_MASK"] = "0.1";    // tile 1 of the Intel GPU: its whole device
  const auto run = test::run_timed(a, options);
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const auto report = test::read_json(tree_ / "run.json");
  ASSERT_TRUE(report.contains("attribution")) << report.dump(2);
  const auto& attribution = report["attribution"];
  EXPECT_NE(attribution["mode_reason"].get<std::string>().find("ROCR_VISIBLE_DEVICES"),
            std::string::npos);
  double amd_share = -1.0;
  double intel_share = -1.0;
  for (const auto& c : attribution["components"]) {
    if (c["id"] == kAmd) amd_share = c["share"].get<double>();
    if (c["id"] == kIntel) intel_share = c["share"].get<double>();
  }
  EXPECT_DOUBLE_EQ(amd_share, 0.0);
  EXPECT_DOUBLE_EQ(intel_share, 1.0);
}

// Debian 12's Level Zero loader predates zesInit: the command enables Sysman for its own zeInit
// only (docs/backends/intel.md I1b). The GPU is measured; the command it runs does not inherit
// ZES_ENABLE_SYSMAN.
TEST_F(AmdAndIntelGpus, OldLevelZeroLoaderIsReadAndTheCommandDoesNotInheritSysman) {
  auto a = args("run");
  const auto option = std::ranges::find(a, "--level-zero-library");
  *(option + 1) = JT_FAKE_LEVEL_ZERO_LEGACY;
  for (const auto& s : {std::string("--output"), (tree_ / "run.json").string(), std::string("--"),
                        std::string("sh"), std::string("-c"),
                        std::string("sleep 0.5; echo \"sysman=${ZES_ENABLE_SYSMAN-unset}\"")}) {
    a.push_back(s);
  }
  auto options = env();
  options.unset_env.push_back("ZES_ENABLE_SYSMAN");
  const auto run = test::run_timed(a, options);
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  EXPECT_NE(run.result.out.find("sysman=unset"), std::string::npos) << run.result.out;
  const auto clock = run.clock(0.5);
  const auto report = test::read_json(tree_ / "run.json");
  const auto* intel = component(report, kIntel);
  ASSERT_NE(intel, nullptr) << report.dump(2);
  EXPECT_EQ(intel->at("method"), "counter");
  EXPECT_TRUE(test::energy_within(intel->at("energy_j"), 600, clock, 600 * 0.012));
}

// Nothing configured: the loader searches librocm_smi64.so.5, then .so.6 and .so.7, on the
// dynamic linker's path (here, the fake's directory).
TEST_F(AmdAndIntelGpus, DefaultRocmSmiSonameIsFoundOnTheLibraryPath) {
  auto a = args("sensors");
  const auto option = std::ranges::find(a, "--rocm-smi-library");
  a.erase(option, option + 2);
  auto options = env();
  const std::string fake = JT_FAKE_ROCM_SMI;
  options.env["LD_LIBRARY_PATH"] = fake.substr(0, fake.rfind('/'));
  options.unset_env.push_back("JOULETRACE_ROCM_SMI_LIBRARY");
  const auto result = test::run_process(a, options);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find(kAmd), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("librocm_smi64.so.5"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace jt
