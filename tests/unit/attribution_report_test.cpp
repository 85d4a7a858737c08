// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include <string>

#include "report/attribution_text.hpp"
#include "unit/attribution_test_support.hpp"

namespace jt {
namespace {

ComponentResult component(const std::string& id, Domain domain, int index, double energy_j) {
  return test::measured_component(id, domain, index, energy_j);
}

Attribution shared_attribution() {
  WindowResult w;
  w.duration_s = 10.0;
  w.components.push_back(component("nvml/GPU-aaaa", Domain::kGpu, 0, 1000.0));
  w.components.push_back(component("nvml/GPU-bbbb", Domain::kGpu, 1, 1000.0));
  w.components.push_back(component("powercap/intel-rapl:0", Domain::kPackage, 0, 400.0));
  w.total.energy_j = 2400.0;
  AttributionInputs in;
  in.gpus = {parse_cuda_visible_devices("GPU-aaaa")};
  CgroupUsage u;
  u.cgroup_path = "/slurm/job_42";
  u.job_cpu_s = 120.0;
  u.node_busy_cpu_s = 480.0;
  u.allocated_cpus = 8;
  u.online_cpus = 32;
  in.cpu = u;
  in.mig_slices = {};
  auto a = attribute_energy(w, in);
  EXPECT_TRUE(a);
  return *a;
}

TEST(AttributionReport, JsonStatesPolicySharesAndReconcilingTotals) {
  const Attribution a = shared_attribution();
  const auto j = to_json(a);
  EXPECT_EQ(j.at("mode"), "shared");
  EXPECT_EQ(j.at("requested"), "auto");
  EXPECT_NE(j.at("mode_reason").get<std::string>().find("8 of 32"), std::string::npos);
  EXPECT_NE(j.at("policy").get<std::string>().find("allocated overhead"), std::string::npos);
  EXPECT_DOUBLE_EQ(j.at("shares").at("cpu_time_share").get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(j.at("shares").at("core_share").get<double>(), 0.25);
  EXPECT_EQ(j.at("shares").at("cpu").at("cgroup"), "/slurm/job_42");
  ASSERT_EQ(j.at("shares").at("gpus").size(), 2u);
  EXPECT_TRUE(j.at("shares").at("gpus")[0].at("owned").get<bool>());
  EXPECT_FALSE(j.at("shares").at("gpus")[1].at("owned").get<bool>());
  EXPECT_EQ(j.at("shares").at("gpus")[0].at("vendor"), "nvidia");  // NVML GPUs of the fixture
  ASSERT_EQ(j.at("components").size(), 3u);
  EXPECT_DOUBLE_EQ(j.at("components")[2].at("attributed_j").get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(j.at("components")[2].at("unattributed_j").get<double>(), 300.0);
  EXPECT_FALSE(j.at("components")[2].at("rule").get<std::string>().empty());
  // The input's 2400 J: 1000 J of the owned GPU and 25 % of the package's 400 J are the job's,
  // the rest (the other GPU's 1000 J and 300 J of the package) is not.
  EXPECT_DOUBLE_EQ(j.at("measured_total_j").get<double>(), 2400.0);
  EXPECT_DOUBLE_EQ(j.at("attributed_total_j").get<double>(), 1100.0);
  EXPECT_DOUBLE_EQ(j.at("unattributed_j").get<double>(), 1300.0);
  EXPECT_TRUE(j.at("warnings").empty());
}

TEST(AttributionReport, JsonWithoutCpuDataHasNulls) {
  WindowResult w;
  w.components.push_back(component("nvml/GPU-aaaa", Domain::kGpu, 0, 10.0));
  w.total.energy_j = 10.0;
  AttributionInputs in;
  in.mode = AttributionMode::kShared;
  in.gpus = {parse_cuda_visible_devices(std::nullopt)};
  auto a = attribute_energy(w, in);
  ASSERT_TRUE(a);
  const auto j = to_json(*a);
  EXPECT_TRUE(j.at("shares").at("cpu").is_null());
  EXPECT_TRUE(j.at("shares").at("cpu_time_share").is_null());
  // Each sentence has its data beside it, in the same order.
  ASSERT_EQ(j.at("warnings").size(), 1u);
  EXPECT_EQ(j.at("warnings")[0],
            "the job's CPU time is unknown (no cgroup data): CPU, DRAM and rest-of-node energy is "
            "left unattributed");
  const nlohmann::json expected = {{"code", "cpu-time-unknown"},
                                   {"subject", "attribution"},
                                   {"figures", nlohmann::json::object()},
                                   {"details", nlohmann::json::object()}};
  EXPECT_EQ(j.at("warning_details"), nlohmann::json::array({expected}));
}

// The whole text: 120 of 480 busy CPU-s and 8 of 32 CPUs are 25 %; the owned GPU's 1000 J, 25 %
// of the package's 400 J (100 J) are charged, 1100 J of 2400 J; no warning.
TEST(AttributionReport, TextSummaryNamesModeSharesRulesAndTotals) {
  EXPECT_EQ(
      format_attribution(shared_attribution()),
      "attribution: shared (auto: the job may use 8 of 32 online CPUs and CUDA_VISIBLE_DEVICES "
      "gives it 1 of 2 measured GPUs)\n"
      "  policy: shared node: each GPU by ownership (CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES "
      "and "
      "HIP_VISIBLE_DEVICES, ZE_AFFINITY_MASK: by UUID or the vendor's index); CPU package and "
      "DRAM: dynamic energy by the job's share of the node's busy CPU "
      "time (cgroup v2 cpu.stat against /proc/stat) and idle energy by its share of the online "
      "CPUs (cpuset), or the whole energy by the CPU-time share where no idle baseline exists; "
      "rest of node (node meter minus measured parts) by the CPU share, as allocated overhead. "
      "Other jobs' energy and unallocated idle stay unattributed.\n"
      "  shares: measured CPU time 25.0 % (120.000 of 480.000 busy CPU-s, cgroup /slurm/job_42), "
      "CPUs 25.0 % (8 of 32 online); used: CPU time 25.0 %, CPUs 25.0 %\n"
      "  GPUs: nvml/GPU-aaaa owned, nvml/GPU-bbbb not owned\n"
      "    nvml/GPU-aaaa            1000.000 J ->   1000.000 J  owned GPU: 100 %\n"
      "    nvml/GPU-bbbb            1000.000 J ->      0.000 J  GPU not owned (another job's or "
      "unallocated): 0 %\n"
      "    powercap/intel-rapl:0     400.000 J ->    100.000 J  total x CPU-time share 25.0 % (no "
      "idle baseline to split off)\n"
      "  charged to the job: 1100.000 J of 2400.000 J measured; unattributed 1300.000 J (other "
      "jobs, unallocated idle)\n");
}

TEST(AttributionReport, TextShowsWarnings) {
  WindowResult w;
  w.components.push_back(component("nvml/GPU-aaaa", Domain::kGpu, 0, 10.0));
  w.total.energy_j = 10.0;
  AttributionInputs in;
  in.gpus = {parse_cuda_visible_devices("0,x")};
  auto a = attribute_energy(w, in);
  ASSERT_TRUE(a);
  // The whole text: GPU 0 selected, 'x' and all after it select nothing; no CPU data.
  EXPECT_EQ(format_attribution(*a),
            "attribution: exclusive (auto: the job may use every measured GPU; its CPUs are "
            "unknown)\n"
            "  policy: exclusive node: everything measured on the node is the job's energy "
            "(Slurm's assumption, right only when no other job ran on the node).\n"
            "  shares: job CPU time unknown; used: CPU time 100.0 %, CPUs 100.0 %\n"
            "  GPUs: nvml/GPU-aaaa owned\n"
            "    nvml/GPU-aaaa      10.000 J ->     10.000 J  exclusive: 100 %\n"
            "  charged to the job: 10.000 J of 10.000 J measured; unattributed 0.000 J (other "
            "jobs, unallocated idle)\n"
            "  warning: CUDA_VISIBLE_DEVICES entry 'x' is not a GPU index, UUID or MIG id; as in "
            "CUDA, it and every entry after it select no GPU\n"
            "  warning: could not tell whether other jobs share the CPUs (no cgroup data); "
            "attributed as exclusive\n");
}

}  // namespace
}  // namespace jt
