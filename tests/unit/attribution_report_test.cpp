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
  w.total_energy_j = 2400.0;
  AttributionInputs in;
  in.gpus = parse_cuda_visible_devices("GPU-aaaa");
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
  ASSERT_EQ(j.at("components").size(), 3u);
  EXPECT_DOUBLE_EQ(j.at("components")[2].at("attributed_j").get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(j.at("components")[2].at("unattributed_j").get<double>(), 300.0);
  EXPECT_FALSE(j.at("components")[2].at("rule").get<std::string>().empty());
  EXPECT_DOUBLE_EQ(j.at("attributed_total_j").get<double>() + j.at("unattributed_j").get<double>(),
                   j.at("measured_total_j").get<double>());
  EXPECT_DOUBLE_EQ(j.at("attributed_total_j").get<double>(), 1100.0);
  EXPECT_TRUE(j.at("warnings").empty());
}

TEST(AttributionReport, JsonWithoutCpuDataHasNulls) {
  WindowResult w;
  w.components.push_back(component("nvml/GPU-aaaa", Domain::kGpu, 0, 10.0));
  w.total_energy_j = 10.0;
  AttributionInputs in;
  in.mode = AttributionMode::kShared;
  in.gpus = parse_cuda_visible_devices(std::nullopt);
  auto a = attribute_energy(w, in);
  ASSERT_TRUE(a);
  const auto j = to_json(*a);
  EXPECT_TRUE(j.at("shares").at("cpu").is_null());
  EXPECT_TRUE(j.at("shares").at("cpu_time_share").is_null());
  EXPECT_FALSE(j.at("warnings").empty());
}

TEST(AttributionReport, TextSummaryNamesModeSharesRulesAndTotals) {
  const std::string text = format_attribution(shared_attribution());
  EXPECT_NE(text.find("attribution: shared (auto: the job may use 8 of 32 online CPUs"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("policy: shared node"), std::string::npos) << text;
  EXPECT_NE(text.find("CPU time 25.0 %"), std::string::npos) << text;
  EXPECT_NE(text.find("cgroup /slurm/job_42"), std::string::npos) << text;
  EXPECT_NE(text.find("nvml/GPU-aaaa owned, nvml/GPU-bbbb not owned"), std::string::npos) << text;
  EXPECT_NE(text.find("owned GPU: 100 %"), std::string::npos) << text;
  EXPECT_NE(text.find("charged to the job: 1100.000 J of 2400.000 J measured; unattributed "
                      "1300.000 J"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("warning"), std::string::npos) << text;
}

TEST(AttributionReport, TextShowsWarnings) {
  WindowResult w;
  w.components.push_back(component("nvml/GPU-aaaa", Domain::kGpu, 0, 10.0));
  w.total_energy_j = 10.0;
  AttributionInputs in;
  in.gpus = parse_cuda_visible_devices("0,x");
  auto a = attribute_energy(w, in);
  ASSERT_TRUE(a);
  const std::string text = format_attribution(*a);
  EXPECT_NE(text.find("warning: CUDA_VISIBLE_DEVICES entry 'x'"), std::string::npos) << text;
}

}  // namespace
}  // namespace jt
