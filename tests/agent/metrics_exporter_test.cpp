// SPDX-License-Identifier: BSD-3-Clause
#include "agent/metrics_exporter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "agent/agent_test_support.hpp"
#include "support/test_support.hpp"

namespace jt::agent {
namespace {

ChannelMetrics package_channel() {
  return ChannelMetrics{.component = "cpu",
                        .domain = "package",
                        .device = "powercap/intel-rapl:0",
                        .method = "counter",
                        .energy_j_total = 1234.5,
                        .power_w = 150.25,
                        .up = true,
                        .read_errors = 2,
                        .wraps = 1,
                        .gaps = 0};
}

// A GPU the agent lost before its first reading: nothing is known of its energy or power.
ChannelMetrics lost_gpu_channel() {
  return ChannelMetrics{.component = "gpu",
                        .domain = "gpu",
                        .device = "nvml/0",
                        .method = "power-integrated",
                        .up = false,
                        .read_errors = 7,
                        .gaps = 3};
}

JobMetrics job(const std::string& id, const std::string& user, bool finished,
               std::vector<JobMetrics::Component> components) {
  return JobMetrics{
      .job_id = id, .user = user, .finished = finished, .components = std::move(components)};
}

MetricsSnapshot small_snapshot() {
  return MetricsSnapshot{.node = "node-a",
                         .channels = {package_channel(), lost_gpu_channel()},
                         .jobs = {job("42", "alice", false, {{"cpu", 100.5}, {"gpu", 20.0}}),
                                  job("41", "bob", true, {{"cpu", 7.5}})},
                         .sampling_interval_s = 0.1,
                         .taken_at_unix_ms = 1'700'000'000'250};
}

// The exposition without its HELP lines, whose wording may change without changing a series.
std::vector<std::string> type_and_sample_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("# HELP ")) lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> samples_naming(const std::string& text, const std::string& part) {
  std::vector<std::string> found;
  for (const std::string& line : type_and_sample_lines(text)) {
    if (!line.starts_with("#") && jt::test::contains(line, part)) found.push_back(line);
  }
  return found;
}

TEST(MetricsExposition, SmallSnapshotGivesTheseLinesExactly) {
  const std::string text = render_metrics(metric_families(small_snapshot(), 0));
  const std::vector<std::string> expected = {
      "# TYPE jouletrace_build_info gauge",
      R"(jouletrace_build_info{version=")" JOULETRACE_VERSION R"("} 1)",
      "# TYPE jouletrace_sampling_interval_seconds gauge",
      R"(jouletrace_sampling_interval_seconds{node="node-a"} 0.1)",
      "# TYPE jouletrace_snapshot_timestamp_seconds gauge",
      R"(jouletrace_snapshot_timestamp_seconds{node="node-a"} 1700000000.25)",
      "# TYPE jouletrace_energy_joules_total counter",
      R"(jouletrace_energy_joules_total{node="node-a",component="cpu",domain="package",device="powercap/intel-rapl:0"} 1234.5)",
      "# TYPE jouletrace_power_watts gauge",
      R"(jouletrace_power_watts{node="node-a",component="cpu",domain="package",device="powercap/intel-rapl:0"} 150.25)",
      "# TYPE jouletrace_sensor_up gauge",
      R"(jouletrace_sensor_up{node="node-a",device="powercap/intel-rapl:0",method="counter"} 1)",
      R"(jouletrace_sensor_up{node="node-a",device="nvml/0",method="power-integrated"} 0)",
      "# TYPE jouletrace_sensor_read_errors_total counter",
      R"(jouletrace_sensor_read_errors_total{node="node-a",device="powercap/intel-rapl:0"} 2)",
      R"(jouletrace_sensor_read_errors_total{node="node-a",device="nvml/0"} 7)",
      "# TYPE jouletrace_sensor_wraps_total counter",
      R"(jouletrace_sensor_wraps_total{node="node-a",device="powercap/intel-rapl:0"} 1)",
      R"(jouletrace_sensor_wraps_total{node="node-a",device="nvml/0"} 0)",
      "# TYPE jouletrace_sensor_gaps_total counter",
      R"(jouletrace_sensor_gaps_total{node="node-a",device="powercap/intel-rapl:0"} 0)",
      R"(jouletrace_sensor_gaps_total{node="node-a",device="nvml/0"} 3)",
      "# TYPE jouletrace_job_energy_joules_total counter",
      R"(jouletrace_job_energy_joules_total{node="node-a",job_id="42",user="alice",component="cpu"} 100.5)",
      R"(jouletrace_job_energy_joules_total{node="node-a",job_id="42",user="alice",component="gpu"} 20)",
      R"(jouletrace_job_energy_joules_total{node="node-a",job_id="41",user="bob",component="cpu"} 7.5)",
      "# TYPE jouletrace_jobs_dropped_total counter",
      R"(jouletrace_jobs_dropped_total{node="node-a"} 0)",
  };
  EXPECT_EQ(type_and_sample_lines(text), expected) << text;
}

TEST(MetricsExposition, EveryFamilyHasHelp) {
  const std::string text = render_metrics(metric_families(small_snapshot(), 0));
  for (const std::string& line : type_and_sample_lines(text)) {
    if (!line.starts_with("# TYPE ")) continue;
    const std::string name = line.substr(7, line.rfind(' ') - 7);
    EXPECT_TRUE(jt::test::contains(text, "# HELP " + name + " ")) << name;
  }
}

TEST(MetricsExposition, UnknownEnergyAndPowerAreAbsentNotZero) {
  const std::string text = render_metrics(metric_families(small_snapshot(), 0));
  EXPECT_TRUE(samples_naming(text, "energy_joules_total{node=\"node-a\",component=\"gpu\"").empty())
      << text;
  EXPECT_TRUE(samples_naming(text, "power_watts{node=\"node-a\",component=\"gpu\"").empty())
      << text;
  // The channel itself is still reported: it is down, not forgotten.
  EXPECT_EQ(samples_naming(text, "sensor_up{node=\"node-a\",device=\"nvml/0\"").size(), 1u);
}

TEST(MetricsExposition, NoChannelWithEnergyLeavesOutTheWholeFamily) {
  MetricsSnapshot snapshot = small_snapshot();
  snapshot.channels = {lost_gpu_channel()};
  const std::string text = render_metrics(metric_families(snapshot, 0));
  EXPECT_FALSE(jt::test::contains(text, "jouletrace_energy_joules_total")) << text;
  EXPECT_FALSE(jt::test::contains(text, "jouletrace_power_watts")) << text;
}

TEST(MetricsExposition, LabelValuesAreEscaped) {
  MetricsSnapshot snapshot = small_snapshot();
  snapshot.channels[0].device = "rapl \"0\"\\pkg\nnext";
  const std::string text = render_metrics(metric_families(snapshot, 0));
  EXPECT_TRUE(jt::test::contains(text, R"(device="rapl \"0\"\\pkg\nnext"} 1234.5)")) << text;
}

TEST(MetricsExposition, PartsOfAJobWithTheSameComponentAreSummed) {
  MetricsSnapshot snapshot = small_snapshot();
  snapshot.jobs = {job("7", "carol", false, {{"gpu", 1.5}, {"cpu", 2.0}, {"gpu", 2.5}})};
  const std::string text = render_metrics(metric_families(snapshot, 0));
  EXPECT_EQ(
      samples_naming(text, "job_id=\"7\""),
      (std::vector<std::string>{
          R"(jouletrace_job_energy_joules_total{node="node-a",job_id="7",user="carol",component="gpu"} 4)",
          R"(jouletrace_job_energy_joules_total{node="node-a",job_id="7",user="carol",component="cpu"} 2)"}));
}

TEST(MetricsCollectable, BeforeAnySnapshotOnlyTheBuildIsServed) {
  const MetricsCollectable collectable;
  const auto families = collectable.Collect();
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].name, "jouletrace_build_info");
}

TEST(MetricsCollectable, ServesTheLastPublishedSnapshot) {
  MetricsCollectable collectable;
  collectable.publish(small_snapshot());
  MetricsSnapshot later = small_snapshot();
  later.channels[0].energy_j_total = 1300.0;
  collectable.publish(later);
  const std::string text = render_metrics(collectable);
  EXPECT_EQ(samples_naming(text, "jouletrace_energy_joules_total{").size(), 1u) << text;
  EXPECT_TRUE(jt::test::contains(text, "device=\"powercap/intel-rapl:0\"} 1300\n")) << text;
}

TEST(MetricsCollectable, AFinishedJobIsServedByOneScrapeOnly) {
  MetricsCollectable collectable;
  collectable.publish(small_snapshot());
  const std::string first = render_metrics(collectable);
  EXPECT_EQ(samples_naming(first, "job_id=\"41\"").size(), 1u) << first;
  // The sampling side may keep sending it; it stays served once.
  collectable.publish(small_snapshot());
  const std::string second = render_metrics(collectable);
  EXPECT_TRUE(samples_naming(second, "job_id=\"41\"").empty()) << second;
  // The running job stays in every scrape.
  EXPECT_EQ(samples_naming(second, "job_id=\"42\"").size(), 2u) << second;
}

TEST(MetricsCollectable, AFinishedJobSentTwiceBeforeAScrapeIsServedOnceWithItsLastFigures) {
  MetricsCollectable collectable;
  collectable.publish(small_snapshot());
  MetricsSnapshot later = small_snapshot();
  later.jobs[1].components[0].energy_j = 8.0;
  collectable.publish(later);
  EXPECT_EQ(
      samples_naming(render_metrics(collectable), "job_id=\"41\""),
      std::vector<std::string>{
          R"(jouletrace_job_energy_joules_total{node="node-a",job_id="41",user="bob",component="cpu"} 8)"});
}

TEST(MetricsCollectable, AFinishedJobWaitsForAScrapeAcrossSnapshotsWithoutIt) {
  MetricsCollectable collectable;
  collectable.publish(small_snapshot());
  MetricsSnapshot without_jobs = small_snapshot();
  without_jobs.jobs.clear();
  collectable.publish(without_jobs);
  EXPECT_EQ(samples_naming(render_metrics(collectable), "job_id=\"41\"").size(), 1u);
}

MetricsSnapshot snapshot_with_finished_jobs(int first, int count) {
  MetricsSnapshot snapshot = small_snapshot();
  snapshot.jobs.clear();
  for (int i = first; i < first + count; ++i) {
    snapshot.jobs.push_back(job("f" + std::to_string(i), "dave", true, {{"cpu", 1.0}}));
  }
  return snapshot;
}

TEST(MetricsCollectable, AtMostAThousandFinishedJobsWaitAndTheOldestAreDropped) {
  MetricsCollectable collectable;
  collectable.publish(snapshot_with_finished_jobs(0, 998));
  collectable.publish(snapshot_with_finished_jobs(998, 7));  // 1005 in all
  const std::string text = render_metrics(collectable);
  EXPECT_EQ(samples_naming(text, "job_id=\"f").size(), kMaxFinishedJobsWaiting);
  EXPECT_TRUE(samples_naming(text, "job_id=\"f4\"").empty());
  EXPECT_EQ(samples_naming(text, "job_id=\"f5\"").size(), 1u);
  EXPECT_EQ(samples_naming(text, "job_id=\"f1004\"").size(), 1u);
  EXPECT_TRUE(jt::test::contains(text, "jouletrace_jobs_dropped_total{node=\"node-a\"} 5\n"));
  // The count is a counter: it keeps its value after the scrape.
  collectable.publish(snapshot_with_finished_jobs(2000, 1));
  EXPECT_TRUE(jt::test::contains(render_metrics(collectable),
                                 "jouletrace_jobs_dropped_total{node=\"node-a\"} 5\n"));
}

TEST(BoundedIdSet, ForgetsTheOldestBeyondItsCapacity) {
  BoundedIdSet ids(2);
  ids.insert("a");
  ids.insert("b");
  ids.insert("a");  // already there: not a newer entry
  ids.insert("c");
  EXPECT_FALSE(ids.contains("a"));
  EXPECT_TRUE(ids.contains("b"));
  EXPECT_TRUE(ids.contains("c"));
  EXPECT_EQ(ids.size(), 2u);
}

// A large node: 64 channels (one with a hostile device id), 500 running and 500 finished jobs.
MetricsSnapshot large_snapshot() {
  MetricsSnapshot snapshot = small_snapshot();
  snapshot.channels.clear();
  for (int i = 0; i < 64; ++i) {
    ChannelMetrics channel = package_channel();
    channel.device = "powercap/intel-rapl:" + std::to_string(i);
    if (i % 8 == 7) channel.power_w.reset();
    snapshot.channels.push_back(channel);
  }
  snapshot.channels[5].device = "rapl \"0\"\\pkg\nnext";
  snapshot.jobs.clear();
  for (int i = 0; i < 1000; ++i) {
    snapshot.jobs.push_back(job(std::to_string(100000 + i), "user" + std::to_string(i % 37),
                                i % 2 == 0, {{"cpu", 10.0 * i}, {"gpu", 0.5 * i}}));
  }
  return snapshot;
}

jt::test::ProcessResult promtool_check(const std::string& exposition) {
  const jt::test::TempTree dir;
  jt::test::write_file(dir / "metrics.txt", exposition);
  return jt::test::run_process(
      {"/bin/sh", "-c",
       std::string(JT_PROMTOOL) + " check metrics < " + (dir / "metrics.txt").string()});
}

TEST(MetricsExposition, PromtoolAcceptsALargeNode) {
  if (!std::filesystem::exists(JT_PROMTOOL)) GTEST_SKIP() << JT_PROMTOOL << " is not installed";
  MetricsCollectable collectable;
  collectable.publish(large_snapshot());
  const std::string text = render_metrics(collectable);
  ASSERT_EQ(samples_naming(text, "jouletrace_job_energy_joules_total{").size(), 2000u);
  const auto checked = promtool_check(text);
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;
}

// The control: the same check rejects what breaks the conventions.
TEST(MetricsExposition, PromtoolRejectsACounterWithoutTotal) {
  if (!std::filesystem::exists(JT_PROMTOOL)) GTEST_SKIP() << JT_PROMTOOL << " is not installed";
  const auto checked = promtool_check(
      "# HELP energy_joules x\n# TYPE energy_joules counter\n"
      "energy_joules 1\n");
  EXPECT_NE(checked.exit_code, 0) << checked.out << checked.err;
}

TEST(MetricsExporter, ServesTheSnapshotOverHttp) {
  auto exporter = MetricsExporter::listen("127.0.0.1:0");
  ASSERT_TRUE(exporter.has_value()) << exporter.error().message;
  ASSERT_GT((*exporter)->port(), 0);
  (*exporter)->publish(small_snapshot());
  const auto answer =
      jt::test::http_get("http://127.0.0.1:" + std::to_string((*exporter)->port()) + "/metrics");
  ASSERT_EQ(answer.status, 200) << answer.error;
  EXPECT_TRUE(jt::test::contains(answer.body, "device=\"powercap/intel-rapl:0\"} 1234.5\n"))
      << answer.body;
}

TEST(MetricsExporter, APortInUseIsAnErrorWithAHint) {
  auto first = MetricsExporter::listen("127.0.0.1:0");
  ASSERT_TRUE(first.has_value()) << first.error().message;
  const std::string address = "127.0.0.1:" + std::to_string((*first)->port());
  const auto second = MetricsExporter::listen(address);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().kind, ErrorKind::kIo);
  EXPECT_TRUE(jt::test::contains(second.error().message, address)) << second.error().message;
  EXPECT_FALSE(second.error().hint.empty());
}

TEST(MetricsExporter, AnAddressOfNoInterfaceHereIsAnError) {
  // 192.0.2.0/24 is reserved for documentation: no machine has it.
  const auto exporter = MetricsExporter::listen("192.0.2.1:0");
  ASSERT_FALSE(exporter.has_value());
  EXPECT_EQ(exporter.error().kind, ErrorKind::kIo);
}

TEST(MetricsExporter, AMalformedAddressIsRefusedBeforeAnyBind) {
  for (const std::string address :
       {"", "9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:9464s",
        "127.0.0.1:80,127.0.0.1:81", "localhost:9464", " 127.0.0.1:9464"}) {
    const auto exporter = MetricsExporter::listen(address);
    ASSERT_FALSE(exporter.has_value()) << address;
    EXPECT_EQ(exporter.error().kind, ErrorKind::kInvalidData) << address;
    EXPECT_FALSE(exporter.error().hint.empty()) << address;
  }
}

}  // namespace
}  // namespace jt::agent
