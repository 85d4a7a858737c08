// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/run_report.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

RunReport sample_report() {
  RunReport r;
  r.command = {"python3", "train.py", "--epochs 2"};
  r.hostname = "node1";
  r.started_at = "2026-11-27T06:00:00Z";
  r.exit_code = 0;
  r.interval_s = 0.1;
  r.requested_interval_s = 0.1;
  r.rounds = 120;
  r.sensors = {{"nvml", ProbeReport::Status::kAbsent, "libnvidia-ml.so.1 not found", "install"}};
  ComponentResult pkg;
  pkg.id = "powercap/intel-rapl:0";
  pkg.domain = Domain::kPackage;
  pkg.device = "package-0";
  pkg.measured.energy_j = 1200.5;
  pkg.measured.method = Method::kCounter;
  pkg.measured.samples = 120;
  pkg.avg_power_w = 100.0;
  pkg.peak_power_w = 130.0;
  pkg.in_total = true;
  ComponentResult core = pkg;
  core.id = "powercap/intel-rapl:0:0";
  core.domain = Domain::kCore;
  core.in_total = false;
  core.contained_in = pkg.id;
  r.window.duration_s = 12.0;
  r.window.components = {pkg, core};
  r.window.total.energy_j = 1200.5;
  r.window.total.method = Method::kCounter;
  r.window.total_cover = {pkg.id};
  return r;
}

TEST(JsonReport, HasTheDocumentedFields) {
  const auto json = to_json(sample_report());
  for (const char* key : {"duration_s", "exit_code", "total_energy_j", "components", "sensors",
                          "total_cover", "total_method", "signal", "interval_s"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  const auto& c = json["components"][0];
  for (const char* key :
       {"id", "domain", "index", "energy_j", "method", "samples", "avg_power_w", "peak_power_w"}) {
    EXPECT_TRUE(c.contains(key)) << key;
  }
  EXPECT_EQ(c["domain"], "package");
  EXPECT_EQ(c["method"], "counter");
  EXPECT_EQ(json["components"][1]["contained_in"], "powercap/intel-rapl:0");
  EXPECT_TRUE(json["signal"].is_null());
  EXPECT_EQ(json["sensors"][0]["status"], "absent");
}

// The summary's text is checked against golden files (report_golden_test.cpp).

RunReport node_report() {
  RunReport r = sample_report();
  ComponentResult& pkg = r.window.components[0];
  pkg.measured.uncertainty = {
      .quantisation_j = 0.0001, .update_period_j = 0.5, .timing_j = 0.01, .total_j = 0.51};
  pkg.idle_power_w = 40.0;
  pkg.idle = test::figure(480.0, 12.0, Method::kModel);
  pkg.dynamic = test::figure(720.5, 13.0, Method::kMixed);
  ComponentResult gpu;
  gpu.id = "nvml/GPU-1";
  gpu.domain = Domain::kGpu;
  gpu.device = "H100";
  gpu.measured.energy_j = 720.0;
  gpu.measured.samples = 120;
  gpu.activity_mean_pct = 0.0;
  gpu.activity_max_pct = 0.0;
  gpu.measured.uncertainty = {0.002, 2.0, 0.0, 36.0, true, 38.0};
  ComponentResult bmc;
  bmc.id = "redfish/1";
  bmc.domain = Domain::kNode;
  bmc.measured.energy_j = 2400.0;
  bmc.measured.samples = 12;
  bmc.in_total = true;
  pkg.in_total = false;
  r.window.components.push_back(gpu);  // pkg dangles from here on
  r.window.components.push_back(bmc);
  r.window.total = test::figure(2400.0, 24.0, Method::kPowerIntegrated);
  r.window.total_cover = {"redfish/1"};
  r.window.coverage = NodeCoverage{"redfish/1",
                                   test::figure(2400.0, 24.0, Method::kPowerIntegrated),
                                   test::figure(1920.5, 30.0, Method::kCounter),
                                   {"powercap/intel-rapl:0", gpu.id},
                                   0.8002,
                                   test::figure(479.5, 40.0, Method::kMixed)};
  IdleWaste waste;
  waste.window = "run";
  waste.gpus = 1;
  waste.idle_gpus = {{gpu.id, gpu.device, test::figure(720.0, 38.0, Method::kCounter), 0.0}};
  waste.idle_gpu_energy = test::figure(720.0, 38.0, Method::kCounter);
  waste.window_energy = test::figure(2400.0, 24.0, Method::kPowerIntegrated);
  waste.idle_gpu_share = 0.3;
  r.idle_waste.push_back(waste);
  return r;
}

TEST(JsonReport, NodeCompositionFields) {
  const auto json = to_json(node_report());
  const auto& pkg = json["components"][0];
  EXPECT_DOUBLE_EQ(pkg["uncertainty_j"].get<double>(), 0.51);
  EXPECT_TRUE(pkg["uncertainty"]["calibration_j"].is_null());  // unknown, not zero
  EXPECT_DOUBLE_EQ(pkg["idle_energy_j"].get<double>(), 480.0);
  EXPECT_DOUBLE_EQ(pkg["dynamic_energy_j"].get<double>(), 720.5);
  EXPECT_DOUBLE_EQ(pkg["idle_energy_uncertainty_j"].get<double>(), 12.0);
  EXPECT_EQ(pkg["idle_energy_method"], "model");
  EXPECT_EQ(pkg["dynamic_energy_method"], "mixed");
  EXPECT_TRUE(pkg["activity_max_pct"].is_null());
  const auto& gpu = json["components"][2];
  EXPECT_DOUBLE_EQ(gpu["uncertainty"]["calibration_j"].get<double>(), 36.0);
  EXPECT_TRUE(gpu["idle_energy_j"].is_null());
  EXPECT_DOUBLE_EQ(gpu["activity_max_pct"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(json["total_uncertainty_j"].get<double>(), 24.0);
  EXPECT_EQ(json["coverage"]["node_meter"], "redfish/1");
  EXPECT_DOUBLE_EQ(json["coverage"]["rest_energy_j"].get<double>(), 479.5);
  ASSERT_EQ(json["idle_waste"].size(), 1U);
  EXPECT_EQ(json["idle_waste"][0]["idle_gpus"][0]["id"], "nvml/GPU-1");
  EXPECT_EQ(json["idle_waste"][0]["idle_gpus"][0]["method"], "counter");
  EXPECT_EQ(json["coverage"]["rest_method"], "mixed");
  EXPECT_TRUE(sample_report().window.coverage == std::nullopt);
  EXPECT_TRUE(to_json(sample_report())["coverage"].is_null());
}

TEST(CsvReport, OneRowPerChannelSampleWithPower) {
  ChannelInfo info;
  info.id = "c0";
  info.domain = Domain::kDram;
  ChannelSeries s;
  s.t_ns = {1'000'000'000, 1'500'000'000};
  s.energy_j = {0.0, 10.0};
  const std::string csv = kTimelineCsvHeader + format_timeline_rows(info, s, 0, 2, 1'000'000'000);
  EXPECT_EQ(csv,
            "time_s,component,domain,method,energy_j,power_w\n"
            "0.000000,c0,dram,counter,0.000000,\n"
            "0.500000,c0,dram,counter,10.000000,20.000\n");
}

TEST(AtomicFile, WritesAndReplaces) {
  test::TempTree tree;
  const auto path = tree / "report.json";
  ASSERT_TRUE(write_file_atomically(path, "one"));
  ASSERT_TRUE(write_file_atomically(path, "two"));
  EXPECT_EQ(test::read_file(path), "two");
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tree.path())) ++files;
  EXPECT_EQ(files, 1u);  // no temporary left behind
}

TEST(AtomicFile, MissingDirectoryIsAClearError) {
  auto written = write_file_atomically("/nonexistent-dir/report.json", "x");
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("/nonexistent-dir"), std::string::npos);
}

}  // namespace
}  // namespace jt
