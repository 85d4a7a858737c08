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
  pkg.energy_j = 1200.5;
  pkg.samples = 120;
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
  r.window.total_energy_j = 1200.5;
  r.window.total_method = "counter";
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
  for (const char* key : {"id", "domain", "index", "energy_j", "method", "samples",
                          "avg_power_w", "peak_power_w"}) {
    EXPECT_TRUE(c.contains(key)) << key;
  }
  EXPECT_EQ(c["domain"], "package");
  EXPECT_EQ(c["method"], "counter");
  EXPECT_EQ(json["components"][1]["contained_in"], "powercap/intel-rapl:0");
  EXPECT_TRUE(json["signal"].is_null());
  EXPECT_EQ(json["sensors"][0]["status"], "absent");
}

TEST(TextReport, ShowsComponentsTotalMethodAndMissingSensors) {
  const std::string text = format_summary(sample_report());
  EXPECT_NE(text.find("exited with code 0"), std::string::npos);
  EXPECT_NE(text.find("'--epochs 2'"), std::string::npos);
  EXPECT_NE(text.find("powercap/intel-rapl:0"), std::string::npos);
  EXPECT_NE(text.find("1200.500"), std::string::npos);
  EXPECT_NE(text.find("total: 1200.500 J (counter"), std::string::npos);
  EXPECT_NE(text.find("nvml: absent"), std::string::npos);
  EXPECT_NE(text.find("fix: install"), std::string::npos);
}

TEST(CsvReport, OneRowPerChannelSampleWithPower) {
  ChannelInfo info;
  info.id = "c0";
  info.domain = Domain::kDram;
  ChannelSeries s;
  s.t_ns = {1'000'000'000, 1'500'000'000};
  s.energy_j = {0.0, 10.0};
  const std::string csv = format_timeline_csv({info}, {s}, 1'000'000'000);
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
