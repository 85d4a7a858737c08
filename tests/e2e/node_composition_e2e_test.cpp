// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace run` on fixture nodes made of known parts: idle and busy GPUs (fake NVML), a node
// meter (loopback Redfish BMC), a calibrated profile, a rated-power file and a GPU allocation.
// Checks the waste report, coverage and rest of node, the idle/dynamic split, the runtime-based
// estimate and shared-node attribution against the energies the fakes were told to draw, over the
// span the test's own clock allows (never the report's duration).
#include <gtest/gtest.h>

#include <cmath>

#include "e2e/e2e_support.hpp"
#include "fakes/mock_bmc/mock_bmc_client.hpp"

namespace jt {
namespace {

using test::component;
using test::read_json;

using test::contains;

class NodeComposition : public ::testing::Test {
 protected:
  // Runs `command` under jouletrace with the fake GPUs of `gpus` and returns the JSON report.
  nlohmann::json run(const std::string& gpus, std::vector<std::string> options,
                     std::vector<std::string> command, test::ProcessResult* out = nullptr,
                     std::map<std::string, std::string> env = {}) {
    test::write_file(tree_ / "nvml.conf", gpus);
    auto argv = test::jouletrace_args(tree_, "run", test::fake_nvml_library());
    argv.insert(argv.end(), options.begin(), options.end());
    for (const auto& a : {std::string("-o"), (tree_ / "r.json").string(), std::string("--")}) {
      argv.push_back(a);
    }
    argv.insert(argv.end(), command.begin(), command.end());
    env["JT_FAKE_NVML_CONFIG"] = (tree_ / "nvml.conf").string();
    env["JOULETRACE_PROFILE"] = (tree_ / "no-profile.json").string();
    const auto run = test::run_timed(argv, {.env = env});
    EXPECT_EQ(run.result.exit_code, 0) << run.result.err;
    if (out != nullptr) *out = run.result;
    // `sleep S` lasts at least S; a script, at least nothing.
    clock_ = run.clock(command.size() == 2 && command[0] == "sleep" ? std::stod(command[1]) : 0.0);
    auto report = read_json(tree_ / "r.json");
    EXPECT_TRUE(test::duration_within(report["duration_s"], clock_));
    return report;
  }

  test::TempTree tree_{"sysfs/no-sensors"};
  test::RunClock clock_;  // the last run's span, as the test's clock bounds it
};

// The fake's energy follows the time of each call; reads bracket the run within a few ms.
double bound_j(double watts) { return watts * 0.02; }

constexpr const char* kFourGpusOneBusy =
    "gpu uuid=GPU-aaaa name=FakeH100 power_w=300 util=90\n"
    "gpu uuid=GPU-bbbb name=FakeH100 power_w=60 util=0\n"
    "gpu uuid=GPU-cccc name=FakeH100 power_w=60 util=0\n"
    "gpu uuid=GPU-dddd name=FakeH100 power_w=60 util=0\n";

TEST_F(NodeComposition, IdleGpusAreReportedWithTheirEnergyAndShare) {
  test::ProcessResult result;
  const auto report = run(kFourGpusOneBusy, {}, {"sleep", "1"}, &result);
  ASSERT_EQ(report["idle_waste"].size(), 1u) << report.dump(2);
  const auto& waste = report["idle_waste"][0];
  EXPECT_EQ(waste["window"], "run");
  EXPECT_EQ(waste["gpus"], 4);
  EXPECT_EQ(waste["gpus_used"], 1);
  ASSERT_EQ(waste["idle_gpus"].size(), 3u);
  EXPECT_TRUE(test::energy_within(waste["idle_gpu_energy_j"], 180.0, clock_, bound_j(180.0)));
  // Of the 480 W the GPUs draw, 180 W idle; the only other part is the CPU estimate of `sleep`
  // (< 0.05 s of CPU x 7 W, under 0.1 % of the ~500 J): the share is 180 / 480.
  EXPECT_NEAR(waste["idle_gpu_share"].get<double>(), 180.0 / 480.0, 0.002);
  const auto* busy = component(report, "nvml/GPU-aaaa");
  ASSERT_NE(busy, nullptr);
  EXPECT_DOUBLE_EQ(busy->at("activity_max_pct").get<double>(), 90.0);
  EXPECT_TRUE(contains(result.err, "idle: 4 GPUs, 1 used")) << result.err;
  EXPECT_TRUE(contains(result.err, "spent by 3 idle GPUs")) << result.err;
}

TEST_F(NodeComposition, AGpuIdleInOnePhaseIsWasteInThatPhaseOnly) {
  // The GPU is busy while the flag file exists: the script holds it through "train" only, so
  // the test does not depend on how fast a loaded machine starts processes.
  const std::string jt = test::jouletrace_binary();
  const std::string flag = (tree_ / "gpu-busy").string();
  const std::string script = "touch " + flag + "; " + jt + " mark begin train; sleep 0.5; " + jt +
                             " mark end train; rm " + flag + "; sleep 0.3; " + jt +
                             " mark begin eval; sleep 0.6; " + jt + " mark end eval";
  const auto report =
      run("gpu uuid=GPU-aaaa name=FakeH100 power_w=250 util=80 busy_file=" + flag + "\n", {},
          {"sh", "-c", script});
  ASSERT_EQ(report["phases"].size(), 2u) << report.dump(2);
  std::vector<std::string> idle_windows;
  for (const auto& w : report["idle_waste"]) {
    if (!w["idle_gpus"].empty()) idle_windows.push_back(w["window"]);
  }
  EXPECT_EQ(idle_windows, std::vector<std::string>{"eval"}) << report["idle_waste"].dump(2);
}

TEST_F(NodeComposition, NodeMeterGivesCoverageAndTheRestOfTheNode) {
  test::MockBmc bmc(tree_.path(), "ok", {"--power-w", "500"});
  const auto config = test::write_redfish_config(tree_ / "bmc.json", {{"url", bmc.url()}});
  const auto report = run("gpu uuid=GPU-aaaa name=FakeH100 power_w=200 util=50\n",
                          {"--redfish-config", config.string()}, {"sleep", "2"});
  ASSERT_FALSE(report["coverage"].is_null()) << report.dump(2);
  const auto& coverage = report["coverage"];
  EXPECT_EQ(coverage["node_meter"], "redfish/1");
  EXPECT_EQ(report["total_cover"], nlohmann::json::array({"redfish/1"}));
  // GPU 200 W (+ a CPU estimate near 0 W for `sleep`) of a 500 W node.
  EXPECT_NEAR(coverage["coverage"].get<double>(), 0.4, 0.06);
  // The rest is what the mock BMC drew beyond the GPU: 300 W. Its reads bracket the run loosely
  // (a quarter of a second of the node's 500 W).
  EXPECT_TRUE(test::energy_within(coverage["rest_energy_j"], 300.0, clock_, 500.0 * 0.25));
  EXPECT_TRUE(test::energy_within(coverage["parts_energy_j"], 200.0, clock_, bound_j(200.0)));
  EXPECT_GT(coverage["rest_uncertainty_j"].get<double>(), 0.0);
  EXPECT_EQ(report["slow_meters"], 1);
}

TEST_F(NodeComposition, RuntimeEstimateOnKnownRatedPowers) {
  test::write_file(tree_ / "tdp.json", R"json({"schema": "jouletrace-tdp/1", "devices": [
    {"kind": "gpu", "model": "FakeH100", "rated_power_w": 700, "rating": "test rating",
     "source": "https://example.invalid/fake"},
    {"kind": "cpu", "model": "Intel Xeon Processor (Cascadelake)", "rated_power_w": 100,
     "rating": "test rating", "source": "https://example.invalid/cpu"}]})json");
  test::ProcessResult result;
  const auto report = run("gpu uuid=GPU-aaaa name=FakeH100 power_w=350 util=90\n",
                          {"--tdp-file", (tree_ / "tdp.json").string(), "--pue", "1.2",
                           "--proc-root", (test::fixture_dir("proc") / "no-sensors").string()},
                          {"sleep", "1"}, &result);
  const auto& estimate = report["runtime_estimate"];
  ASSERT_TRUE(estimate.contains("devices")) << estimate.dump(2);
  // The ratings are the test's own copy of the file above: one GPU at 700 W and the fixture's
  // one CPU socket (sysfs/no-sensors: physical_package_id 0 only) at 100 W.
  constexpr double kRatedW = 700.0 + 100.0;
  std::vector<std::pair<std::string, double>> rated;
  for (const auto& d : estimate["devices"]) rated.emplace_back(d["kind"], d["rated_power_w"]);
  EXPECT_EQ(rated, (std::vector<std::pair<std::string, double>>{{"cpu", 100.0}, {"gpu", 700.0}}))
      << estimate.dump(2);
  // Rated power x runtime x PUE, the runtime bounded by the test's clock.
  EXPECT_TRUE(test::energy_within(estimate["estimate_j"], kRatedW * 1.2, clock_, 1e-6));
  ASSERT_TRUE(estimate["complete"].get<bool>()) << estimate.dump(2);
  // The GPU drew 350 W (the `sleep` command's CPU estimate is ~0): PUE scales both sides alike,
  // so the estimate is off by 800 / 350 - 1, whatever the runtime.
  EXPECT_NEAR(estimate["relative_error"].get<double>(), kRatedW / 350.0 - 1.0, 0.03);
  EXPECT_TRUE(contains(result.err, "the estimate is off by +")) << result.err;
  EXPECT_TRUE(contains(result.err, "runtime-based estimate")) << result.err;
}

TEST_F(NodeComposition, CalibratedProfileSplitsIdleFromDynamicEnergy) {
  test::write_file(tree_ / "nvml.conf", "gpu uuid=GPU-aaaa name=FakeH100 power_w=60 util=0\n");
  auto calibrate = test::jouletrace_args(tree_, "calibrate", test::fake_nvml_library());
  for (const auto& a :
       {std::string("--settle"), std::string("0s"), std::string("--duration"), std::string("1s"),
        std::string("--profile"), (tree_ / "profile.json").string()}) {
    calibrate.push_back(a);
  }
  const auto calibrated = test::run_process(
      calibrate, {.env = {{"JT_FAKE_NVML_CONFIG", (tree_ / "nvml.conf").string()}}});
  ASSERT_EQ(calibrated.exit_code, 0) << calibrated.err;
  // The same GPU now works at 260 W: 60 W of it is the idle baseline.
  test::ProcessResult result;
  const auto report =
      run("gpu uuid=GPU-aaaa name=FakeH100 power_w=260 util=90\n",
          {"--profile", (tree_ / "profile.json").string()}, {"sleep", "1"}, &result);
  const auto* gpu = component(report, "nvml/GPU-aaaa");
  ASSERT_NE(gpu, nullptr);
  ASSERT_FALSE(gpu->at("idle_power_w").is_null()) << report.dump(2);
  EXPECT_NEAR(gpu->at("idle_power_w").get<double>(), 60.0, 0.5);
  // The idle baseline may be 0.5 W off (above), over at most the whole span.
  const double baseline_j = 0.5 * clock_.max_s;
  EXPECT_TRUE(
      test::energy_within(gpu->at("idle_energy_j"), 60.0, clock_, bound_j(60.0) + baseline_j));
  EXPECT_TRUE(
      test::energy_within(gpu->at("dynamic_energy_j"), 200.0, clock_, bound_j(260.0) + baseline_j));
  EXPECT_EQ(report["profile_source"], (tree_ / "profile.json").string());
  EXPECT_TRUE(contains(result.err, "GPU-aaaa: idle ")) << result.err;
}

TEST_F(NodeComposition, SharedNodeChargesOnlyTheJobsGpus) {
  test::ProcessResult result;
  const auto report = run(
      "gpu uuid=GPU-aaaa name=FakeH100 power_w=300 util=90\n"
      "gpu uuid=GPU-bbbb name=FakeH100 power_w=100 util=0\n",
      {"--attribution", "shared"}, {"sleep", "1"}, &result, {{"CUDA_VISIBLE_DEVICES", "GPU-aaaa"}});
  const auto& attribution = report["attribution"];
  ASSERT_TRUE(attribution.contains("mode")) << attribution.dump(2);
  EXPECT_EQ(attribution["mode"], "shared");
  double job_gpu = -1.0;
  double other_gpu = -1.0;
  for (const auto& c : attribution["components"]) {
    if (c["id"] == "nvml/GPU-aaaa") job_gpu = c["attributed_j"];
    if (c["id"] == "nvml/GPU-bbbb") other_gpu = c["attributed_j"];
  }
  EXPECT_TRUE(test::energy_within(job_gpu, 300.0, clock_, bound_j(300.0)));
  EXPECT_DOUBLE_EQ(other_gpu, 0.0);
  // The other job's GPU (100 W) is what stays unattributed, with the CPU side's remainder.
  EXPECT_GE(attribution["unattributed_j"].get<double>(), 100.0 * clock_.min_s - bound_j(100.0));
  EXPECT_EQ(report["runtime_estimate"]["measured"]["label"],
            "the energy attributed to the job on this shared node");
  // The estimate charges the job's GPU only.
  std::size_t gpus_in_estimate = 0;
  for (const auto& d : report["runtime_estimate"]["devices"])
    gpus_in_estimate += d["kind"] == "gpu";
  EXPECT_EQ(gpus_in_estimate, 1u);
}

}  // namespace
}  // namespace jt
