// SPDX-License-Identifier: BSD-3-Clause
// The one analysis of a run (ledger/run_analysis.hpp), against figures the test derives from the
// constant powers it sets up: 100 W on the package, 300 W on each of two GPUs, 2 s.
#include "ledger/run_analysis.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace jt {
namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr double kPackageW = 100.0;
constexpr double kGpuW = 300.0;
constexpr double kRunS = 2.0;
constexpr double kStepS = 0.1;

ChannelInfo channel(const std::string& id, Domain domain, int index, Vendor vendor) {
  ChannelInfo info;
  info.id = id;
  info.domain = domain;
  info.device = id;
  info.scale = 1e-6;
  info.update_period_s = 0.001;
  info.identity = identity_of(domain, index, vendor);
  return info;
}

ChannelSeries constant(double watts) {
  ChannelSeries s;
  for (int k = 0; k <= static_cast<int>(kRunS / kStepS); ++k) {
    const double t = k * kStepS;
    s.t_ns.push_back(static_cast<std::int64_t>(t * kS));
    s.energy_j.push_back(watts * t);
  }
  return s;
}

Timeline two_gpu_node() {
  ChannelInfo gpu0 = channel("nvml/GPU-aaaa", Domain::kGpu, 0, Vendor::kNvidia);
  gpu0.identity.uuid = "GPU-aaaa";
  ChannelInfo gpu1 = channel("nvml/GPU-bbbb", Domain::kGpu, 1, Vendor::kNvidia);
  gpu1.identity.uuid = "GPU-bbbb";
  return test::timeline_of(
      {channel("powercap/intel-rapl:0", Domain::kPackage, 0, Vendor::kIntel), gpu0, gpu1},
      {constant(kPackageW), constant(kGpuW), constant(kGpuW)}, kStepS);
}

NodeInventory inventory() {
  NodeInventory inv;
  inv.sockets = Fact<int>::known(1);
  inv.cpu_model = Fact<std::string>::known("Xeon Gold 6248");
  inv.gpus = {{0, "nvml/GPU-aaaa", "GPU-aaaa", "NVIDIA H100 80GB HBM3", 700.0, "fake"},
              {1, "nvml/GPU-bbbb", "GPU-bbbb", "NVIDIA H100 80GB HBM3", 700.0, "fake"}};
  return inv;
}

RunAnalysisInputs inputs() {
  RunAnalysisInputs in;
  in.start_ns = 0;
  in.end_ns = static_cast<std::int64_t>(kRunS * kS);
  in.inventory = inventory();
  in.attribution.gpus = {parse_cuda_visible_devices(std::nullopt)};
  in.phases = {{"train", kS / 2, 3 * kS / 2, 40, 1, false},
               {"train", 3 * kS / 2, 2 * kS, 0, 1, false}};
  return in;
}

TEST(RunAnalysis, PhasesTheirTotalsAndEnergyPerItemComeFromTheLedger) {
  const RunAnalysis run = analyse_run(two_gpu_node(), inputs());
  const double node_w = kPackageW + 2 * kGpuW;
  ASSERT_TRUE(run.window.total.energy_j);
  EXPECT_NEAR(*run.window.total.energy_j, node_w * kRunS, 1e-6);
  ASSERT_EQ(run.phases.size(), 2u);
  ASSERT_TRUE(run.phases[0].energy.total.energy_j);
  EXPECT_NEAR(*run.phases[0].energy.total.energy_j, node_w * 1.0, 1e-6);
  ASSERT_TRUE(run.phases[0].energy_per_item_j);
  EXPECT_NEAR(*run.phases[0].energy_per_item_j, node_w * 1.0 / 40, 1e-6);
  EXPECT_FALSE(run.phases[1].energy_per_item_j);  // no items counted: unknown, never 0
  ASSERT_EQ(run.phase_totals.size(), 1u);
  EXPECT_EQ(run.phase_totals[0].count, 2u);
  EXPECT_EQ(run.phase_totals[0].items, 40u);
  ASSERT_TRUE(run.phase_totals[0].energy_per_item_j);
  EXPECT_NEAR(*run.phase_totals[0].energy_per_item_j, node_w * 1.5 / 40, 1e-6);
}

TEST(RunAnalysis, TheEstimateChargesOnlyTheGpusTheJobOwnsOnASharedNode) {
  RunAnalysisInputs in = inputs();
  in.attribution.mode = AttributionMode::kShared;
  in.attribution.gpus = {parse_cuda_visible_devices("1")};
  const auto table = TdpTable::parse(R"({"schema": "jouletrace.rated-power", "version": 1,
      "devices": [{"kind": "cpu", "model": "Xeon Gold 6248", "rated_power_w": 150,
                   "rating": "TDP", "source": "https://example.invalid/6248"}]})",
                                     "test");
  ASSERT_TRUE(table) << table.error().message;
  in.tdp = &*table;
  const RunAnalysis run = analyse_run(two_gpu_node(), in);
  ASSERT_TRUE(run.runtime_estimate);
  const auto& devices = run.runtime_estimate->devices;
  ASSERT_EQ(devices.size(), 2u);  // the socket and GPU 1, matched by channel
  EXPECT_EQ(devices[1].device.channel_id, "nvml/GPU-bbbb");
  // 150 W x 2 s for the CPU, the enforced 700 W limit x 2 s for the GPU (not in the table).
  EXPECT_NEAR(run.runtime_estimate->estimate_j, (150.0 + 700.0) * kRunS, 1e-6);
  // Compared with the job's share: GPU 1 alone (the CPU side is unattributed without cgroup
  // figures).
  ASSERT_TRUE(run.runtime_estimate->measured);
  EXPECT_NEAR(run.runtime_estimate->measured->energy.energy_j.value(), kGpuW * kRunS, 1e-6);
  EXPECT_EQ(run.runtime_estimate->measured->label,
            "the energy attributed to the job on this shared node");
}

TEST(RunAnalysis, TheCpuModelSaysWhereItsFigureComesFrom) {
  const CpuModel given = cpu_model_of(3.0, 12.0);
  EXPECT_DOUBLE_EQ(given.watts_per_busy_core, 12.0);
  EXPECT_NE(given.assumption.find("--model-watts-per-core"), std::string::npos);
  const CpuModel fallback = cpu_model_of(3.0, 0.0);
  EXPECT_DOUBLE_EQ(fallback.watts_per_busy_core, kDefaultWattsPerBusyCore);
  EXPECT_NE(fallback.assumption.find("default"), std::string::npos);
}

}  // namespace
}  // namespace jt
