// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace node` and `jouletrace calibrate` end to end: the real binary on fixture trees, with
// a live writer and the fake NVML drawing known power, so that every idle baseline can be
// checked against the power that was actually written.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "e2e/e2e_support.hpp"

namespace jt {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class NodeVerbs : public ::testing::Test {
 protected:
  std::vector<std::string> args(const std::string& verb, std::vector<std::string> extra) const {
    auto a = test::jouletrace_args(tree_, verb, test::fake_nvml_library());
    for (const auto& s : {std::string("--proc-root"), proc_.string(), std::string("--no-bmc")}) {
      a.push_back(s);
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  test::ProcessResult run(const std::string& verb, std::vector<std::string> extra) const {
    test::write_file(tree_ / "nvml.conf", nvml_config_);
    return test::run_process(
        args(verb, std::move(extra)),
        {.env = {{"JT_FAKE_NVML_CONFIG", (tree_ / "nvml.conf").string()},
                 // Never the user's own profile: a path in the test tree.
                 {"JOULETRACE_PROFILE", (tree_ / "default-profile.json").string()}}});
  }
  void start_writer(const std::vector<std::string>& args) {
    writer_ = test::start_live_writer(tree_, args);
  }
  std::string zone(const std::string& name) const {
    return test::powercap_energy_file(tree_, name);
  }
  void TearDown() override { writer_.reset(); }

  test::TempTree tree_{"sysfs/intel-2s"};
  fs::path proc_ = test::fixture_dir("proc/intel-2s");
  std::string nvml_config_ =
      "gpu uuid=GPU-1234 name=NVIDIA-A100-SXM4-80GB power_w=60 energy=1 limit_w=400\n";
  std::unique_ptr<test::BackgroundProcess> writer_;
};

TEST_F(NodeVerbs, NodeJsonDescribesTheFixtureNode) {
  const auto out_file = (tree_ / "node.json").string();
  const auto result = run("node", {"--json", "-o", out_file});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json j = json::parse(result.out);
  EXPECT_EQ(json::parse(test::read_file(out_file)), j);
  const json& node = j["node"];
  EXPECT_EQ(node["hostname"]["value"], "fixture-intel-2s");
  EXPECT_EQ(node["cpu_model"]["value"], "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz");
  EXPECT_EQ(node["sockets"]["value"], 2);
  EXPECT_EQ(node["cores"]["value"], 8);
  EXPECT_EQ(node["threads"]["value"], 8);
  EXPECT_EQ(node["memory_bytes"]["value"], 394883072ull * 1024);
  ASSERT_EQ(node["gpus"].size(), 1u);
  EXPECT_EQ(node["gpus"][0]["uuid"], "GPU-1234");
  EXPECT_EQ(node["gpus"][0]["model"], "NVIDIA-A100-SXM4-80GB");
  EXPECT_EQ(node["gpus"][0]["power_limit_w"], 400.0);
  ASSERT_EQ(node["node_meters"].size(), 1u);  // the fixture's ACPI power meter
  EXPECT_TRUE(j["calibration"].is_null());
}

TEST_F(NodeVerbs, NodeTableSaysWhatIsUnknownAndWhy) {
  const fs::path empty_proc = tree_ / "empty-proc";
  fs::create_directories(empty_proc);
  proc_ = empty_proc;
  const auto result = run("node", {});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("CPU          unknown ("), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("cpuinfo"), std::string::npos);
  EXPECT_NE(result.out.find("memory       unknown ("), std::string::npos);
  EXPECT_NE(result.out.find("sockets      2"), std::string::npos);
  EXPECT_NE(result.out.find("Idle baselines: none"), std::string::npos);
}

TEST_F(NodeVerbs, CalibrateMeasuresTheKnownIdlePowerOfEveryComponent) {
  fs::remove_all(tree_ / "class/hwmon");
  start_writer({"--channel", zone("intel-rapl:0") + ":50", "--channel",
                zone("intel-rapl:1") + ":30", "--channel", zone("intel-rapl:0:1") + ":5",
                "--channel", zone("intel-rapl:1:1") + ":4", "--channel",
                zone("intel-rapl:0:0") + ":20", "--channel", zone("intel-rapl:1:0") + ":12"});
  const auto profile_path = (tree_ / "state/profile.json").string();
  const auto result =
      run("calibrate", {"--settle", "0s", "--duration", "1500ms", "--profile", profile_path});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err.find("warning"), std::string::npos) << result.err;
  const json profile = test::read_json(profile_path);
  const json& cal = profile["calibration"];
  ASSERT_TRUE(cal.is_object());
  EXPECT_EQ(cal["calibrated_on"], "fixture-intel-2s");
  const std::vector<std::pair<std::string, double>> expected = {{"powercap/intel-rapl:0", 50},
                                                                {"powercap/intel-rapl:1", 30},
                                                                {"powercap/intel-rapl:0:1", 5},
                                                                {"powercap/intel-rapl:1:1", 4},
                                                                {"powercap/intel-rapl:0:0", 20},
                                                                {"powercap/intel-rapl:1:0", 12},
                                                                {"nvml/GPU-1234", 60}};
  ASSERT_EQ(cal["baselines"].size(), expected.size()) << cal.dump(2);
  for (const auto& [id, watts] : expected) {
    const json* b = nullptr;
    for (const auto& item : cal["baselines"]) {
      if (item["channel_id"] == id) b = &item;
    }
    ASSERT_NE(b, nullptr) << id;
    // A read a few ms late at either end of 1.5 s on a loaded 2-core machine: about 1 %.
    EXPECT_NEAR(b->at("idle_power_w").get<double>(), watts, watts * 0.02 + 0.05) << id;
    EXPECT_GT(b->at("duration_s").get<double>(), 1.4) << id;
    EXPECT_GT(b->at("samples").get<int>(), 5) << id;
    EXPECT_EQ(b->at("method"), "counter") << id;
    EXPECT_GE(b->at("uncertainty_w").get<double>(), 0.0) << id;
  }
  EXPECT_NE(result.out.find("powercap/intel-rapl:0"), std::string::npos);

  // `jouletrace node` shows the stored baselines next to a fresh inventory.
  const auto shown = run("node", {"--profile", profile_path});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("Idle baselines (calibrated"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("nvml/GPU-1234"), std::string::npos);
}

TEST_F(NodeVerbs, CalibrateWarnsWhenTheNodeIsBusy) {
  test::TempTree busy_proc("proc/intel-2s");
  test::write_file(busy_proc / "loadavg", "7.90 6.10 3.02 9/612 31337\n");
  proc_ = busy_proc.path();
  const auto profile_path = (tree_ / "busy.json").string();
  const auto result =
      run("calibrate", {"--settle", "0s", "--duration", "300ms", "--profile", profile_path});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("not idle"), std::string::npos) << result.err;
  const json profile = test::read_json(profile_path);
  bool stored = false;
  for (const auto& w : profile["calibration"]["warnings"]) {
    stored = stored || w.get<std::string>().find("7.90") != std::string::npos;
  }
  EXPECT_TRUE(stored) << profile["calibration"].dump(2);
}

TEST_F(NodeVerbs, CalibrateWritesTheDefaultProfileLocation) {
  const auto result = run("calibrate", {"--settle", "0s", "--duration", "200ms"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fs::exists(tree_ / "default-profile.json"));
  const auto shown = run("node", {"--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_TRUE(json::parse(shown.out)["calibration"].is_object());
}

TEST_F(NodeVerbs, MalformedProfilesAreClearErrors) {
  const auto path = tree_ / "bad.json";
  test::write_file(path, "{\"schema\": \"jouletrace-node-profile\", \"version\": ");
  auto result = run("node", {"--profile", path.string()});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("malformed JSON in " + path.string() + " (the text ends too soon"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("fix:"), std::string::npos) << result.err;

  test::write_file(path, R"({"schema": "jouletrace-node-profile", "version": 1, "node": 5})");
  result = run("node", {"--profile", path.string()});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("profile.created_at is missing"), std::string::npos) << result.err;

  result = run("node", {"--profile", (tree_ / "absent.json").string()});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("absent.json"), std::string::npos) << result.err;
}

// A calibration that could not store its result must not settle and measure first.
TEST_F(NodeVerbs, CalibrateChecksWhereItStoresBeforeMeasuring) {
  test::write_file(tree_ / "a-file", "not a directory");
  const auto start = std::chrono::steady_clock::now();
  const auto result = run("calibrate", {"--settle", "10s", "--duration", "10s", "--profile",
                                        (tree_ / "a-file" / "profile.json").string()});
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(result.exit_code, 125) << result.err;
  EXPECT_LT(took, 5.0);
  EXPECT_NE(result.err.find("--profile"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find("settling"), std::string::npos) << result.err;
}

TEST_F(NodeVerbs, CalibrateRefusesBadDurationsAndNodesWithoutSensors) {
  auto result = run("calibrate", {"--settle", "10"});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("needs a unit"), std::string::npos) << result.err;
  result = run("calibrate", {"--duration", "0s"});
  EXPECT_EQ(result.exit_code, 125);

  test::TempTree bare("sysfs/no-sensors");
  auto a = test::jouletrace_args(bare, "calibrate");  // no GPU either
  for (const auto& s : {"--no-bmc", "--settle", "0s", "--duration", "200ms"}) a.push_back(s);
  result = test::run_process(a, {.env = {{"JOULETRACE_PROFILE", (bare / "p.json").string()}}});
  EXPECT_EQ(result.exit_code, 125);
  EXPECT_NE(result.err.find("nothing to calibrate"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(bare / "p.json"));
}

}  // namespace
}  // namespace jt
