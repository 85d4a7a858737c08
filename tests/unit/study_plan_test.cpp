// SPDX-License-Identifier: BSD-3-Clause
// The study file (JSON and TOML, one strict decoder), its matrix, the idle check and the time
// left: expected values come from the plans and powers written here.
#include "study/study_plan.hpp"

#include <gtest/gtest.h>

#include "study/study_schedule.hpp"
#include "support/test_support.hpp"

namespace jt::study {
namespace {

constexpr const char* kTomlStudy = R"(
name = "cnn cpu vs gpu"
repetitions = 2
cooldown_s = 5

[idle_check]
window_s = 1.5
tolerance = 0.2
margin_w = 3
timeout_s = 60

[[entries]]
name = "cnn"
workload = "fashion-mnist"
args = ["--epochs", "1"]
env = { OMP_NUM_THREADS = "4" }
phases = ["train", "infer"]

  [[entries.configurations]]
  name = "cpu"
  args = ["--device", "cpu"]

  [[entries.configurations]]
  name = "cuda"
  args = ["--device", "cuda"]
  env = { CUDA_VISIBLE_DEVICES = "0" }

[[entries]]
name = "sleep"
command = ["sleep", "0.1"]
repetitions = 5
)";

StudyPlan decoded_toml(const std::string& text) {
  auto json = toml_as_json(text, "study.toml");
  EXPECT_TRUE(json) << json.error().message;
  if (!json) return {};
  auto plan = decode_study_plan(*json, "study.toml");
  EXPECT_TRUE(plan) << plan.error().message;
  return plan ? *plan : StudyPlan{};
}

TEST(StudyPlan, TomlAndJsonDecodeToTheSamePlan) {
  const StudyPlan plan = decoded_toml(kTomlStudy);
  EXPECT_EQ(plan.name, "cnn cpu vs gpu");
  EXPECT_EQ(plan.repetitions, 2);
  EXPECT_DOUBLE_EQ(plan.cooldown_s, 5.0);
  EXPECT_DOUBLE_EQ(plan.idle_check.window_s, 1.5);
  EXPECT_DOUBLE_EQ(plan.idle_check.tolerance, 0.2);
  EXPECT_DOUBLE_EQ(plan.idle_check.margin_w, 3.0);
  EXPECT_DOUBLE_EQ(plan.idle_check.timeout_s, 60.0);
  ASSERT_EQ(plan.entries.size(), 2u);
  EXPECT_EQ(plan.entries[0].workload, "fashion-mnist");
  ASSERT_EQ(plan.entries[0].configurations.size(), 2u);
  EXPECT_EQ(plan.entries[1].repetitions, 5);

  const auto json = nlohmann::json::parse(R"({
    "name": "cnn cpu vs gpu", "repetitions": 2, "cooldown_s": 5,
    "idle_check": {"window_s": 1.5, "tolerance": 0.2, "margin_w": 3, "timeout_s": 60},
    "entries": [
      {"name": "cnn", "workload": "fashion-mnist", "args": ["--epochs", "1"],
       "env": {"OMP_NUM_THREADS": "4"}, "phases": ["train", "infer"],
       "configurations": [{"name": "cpu", "args": ["--device", "cpu"]},
                          {"name": "cuda", "args": ["--device", "cuda"],
                           "env": {"CUDA_VISIBLE_DEVICES": "0"}}]},
      {"name": "sleep", "command": ["sleep", "0.1"], "repetitions": 5}]})");
  auto from_json = decode_study_plan(json, "study.json");
  ASSERT_TRUE(from_json) << from_json.error().message;
  const auto a = expand_study(plan, "/opt/jt/jouletrace-workload");
  const auto b = expand_study(*from_json, "/opt/jt/jouletrace-workload");
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].command, b[i].command);
    EXPECT_EQ(a[i].env, b[i].env);
    EXPECT_EQ(a[i].label, b[i].label);
  }
}

TEST(StudyPlan, TheMatrixIsEntriesTimesConfigurations) {
  const auto cells = expand_study(decoded_toml(kTomlStudy), "/opt/jt/jouletrace-workload");
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells[0].label, "cnn/cpu");
  EXPECT_EQ(cells[0].file_name, "cnn@cpu.json");
  EXPECT_EQ(cells[0].command,
            (std::vector<std::string>{"/opt/jt/jouletrace-workload", "fashion-mnist", "--epochs",
                                      "1", "--device", "cpu"}));
  EXPECT_EQ(cells[0].repetitions, 2);
  EXPECT_EQ(cells[0].phases, (std::vector<std::string>{"train", "infer"}));
  // The entry's variables, then the configuration's.
  EXPECT_EQ(cells[1].env, (std::vector<EnvironmentSetting>{{"OMP_NUM_THREADS", "4"},
                                                           {"CUDA_VISIBLE_DEVICES", "0"}}));
  // An entry without configurations is one cell, named after the entry alone.
  EXPECT_EQ(cells[2].label, "sleep");
  EXPECT_EQ(cells[2].file_name, "sleep.json");
  EXPECT_EQ(cells[2].command, (std::vector<std::string>{"sleep", "0.1"}));
  EXPECT_EQ(cells[2].repetitions, 5);
}

// Each bad study is refused with a message naming the value at fault.
TEST(StudyPlan, MistakesAreRefusedByName) {
  const struct {
    const char* json;
    const char* names;
  } cases[] = {
      {R"({"entries": [{"name": "a", "command": ["x"]}], "repetition": 3})", "repetition"},
      {R"({"entries": []})", "entries is empty"},
      {R"({"entries": [{"name": "a"}]})", "exactly one of `command`"},
      {R"({"entries": [{"name": "a", "command": ["x"], "workload": "w"}]})", "exactly one"},
      {R"({"entries": [{"name": "a", "command": []}]})", "entries[0].command is empty"},
      {R"({"entries": [{"name": "a/b", "command": ["x"]}]})", "entries[0].name"},
      {R"({"entries": [{"name": "a", "command": ["x"]}, {"name": "a", "command": ["y"]}]})",
       "name 'a' more than once"},
      {R"({"entries": [{"name": "a", "command": ["x", 3]}]})", "entries[0].command[1]"},
      {R"({"entries": [{"name": "a", "command": ["x"], "env": {"A B": "1"}}]})", "not a variable"},
      {R"({"entries": [{"name": "a", "command": ["x"], "repetitions": 0}]})", "repetitions"},
      {R"({"entries": [{"name": "a", "command": ["x"],
           "configurations": [{"name": "c", "arg": ["y"]}]}]})",
       "arg"},
      {R"({"entries": [{"name": "a", "command": ["x"]}], "idle_check": {"window_s": 0}})",
       "window_s"},
      {R"({"entries": [{"name": "a", "command": ["x"]}], "cooldown_s": -1})", "cooldown_s"},
  };
  for (const auto& c : cases) {
    auto plan = decode_study_plan(nlohmann::json::parse(c.json), "s.json");
    ASSERT_FALSE(plan) << c.json;
    EXPECT_NE(plan.error().message.find(c.names), std::string::npos) << c.json << "\n"
                                                                     << plan.error().message;
    EXPECT_NE(plan.error().message.find("s.json"), std::string::npos) << plan.error().message;
  }
}

TEST(StudyPlan, BadTomlNamesTheLine) {
  auto json = toml_as_json("name = \"x\"\n[[entries]\n", "bad.toml");
  ASSERT_FALSE(json);
  EXPECT_NE(json.error().message.find("bad.toml:2"), std::string::npos) << json.error().message;
}

// The fuzzer's find in toml++ 3.3.0 (docs/STUDY.md): non-ASCII is refused before it is parsed;
// the same character as a TOML escape is read.
TEST(StudyPlan, NonAsciiTomlIsRefusedAndItsEscapeRead) {
  auto refused = toml_as_json("name = \"x\"\nx =\xc3\x9a\"\n", "s.toml");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("s.toml:2:4: a non-ASCII character"), std::string::npos)
      << refused.error().message;
  auto escaped = toml_as_json("name = \"caf\\u00e9\"\n", "s.toml");
  ASSERT_TRUE(escaped) << escaped.error().message;
  EXPECT_EQ((*escaped)["name"], "caf\xc3\xa9");
}

TEST(StudyPlan, ReadsFilesByTheirExtensionAndPutsResultsBesideThem) {
  test::TempTree dir;
  test::write_file(dir / "s.toml", "[[entries]]\nname = \"a\"\ncommand = [\"true\"]\n");
  auto plan = read_study_plan(dir / "s.toml");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->output, (dir / "study-results").string());
  test::write_file(dir / "s.json", R"({"output": "/tmp/x", "entries": [{"name": "a",
      "command": ["true"]}], "idle_check": false})");
  plan = read_study_plan(dir / "s.json");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->output, "/tmp/x");
  EXPECT_FALSE(plan->idle_check.enabled);
  EXPECT_FALSE(read_study_plan(dir / "missing.json"));
}

TEST(IdleCheck, ComparesTheChannelsBothSidesKnow) {
  IdleCheckSettings settings;
  settings.tolerance = 0.10;
  settings.margin_w = 2.0;
  const std::vector<ChannelPower> baseline = {
      {"package-0", 40.0, 0.5}, {"package-1", 30.0, 0.5}, {"node", 200.0, 5.0}};
  // The node meter is not read now: only the packages count. Limit 70 x 1.1 + 2 + 2 x 1.0.
  const std::vector<ChannelPower> warm = {{"package-0", 45.0, 0.5}, {"package-1", 36.0, 0.5}};
  IdleVerdict verdict = judge_idle(warm, baseline, settings);
  EXPECT_TRUE(verdict.known);
  EXPECT_EQ(verdict.channels, 2u);
  EXPECT_DOUBLE_EQ(verdict.power_w, 81.0);
  EXPECT_DOUBLE_EQ(verdict.baseline_w, 70.0);
  EXPECT_DOUBLE_EQ(verdict.limit_w, 70.0 * 1.1 + 2.0 + 2.0);
  EXPECT_TRUE(verdict.idle);  // 81 <= 81
  const std::vector<ChannelPower> hot = {{"package-0", 45.5, 0.5}, {"package-1", 36.0, 0.5}};
  EXPECT_FALSE(judge_idle(hot, baseline, settings).idle);
  // Nothing shared: unknown, not idle.
  verdict = judge_idle({{"gpu-0", 60.0, 1.0}}, baseline, settings);
  EXPECT_FALSE(verdict.known);
  EXPECT_FALSE(verdict.idle);
}

TEST(StudySchedule, TimeLeftFollowsTheRunsDoneSoFar) {
  // Nothing finished yet: unknown.
  EXPECT_FALSE(estimate_remaining_s({{3, {}}, {2, {}}}, 10.0, 5.0));
  // Cell 0: 2 of 3 done at 10 s and 20 s (mean 15), the third 4 s under way; cell 1: none done,
  // 2 runs at the mean of all finished (15 s). Each run left is followed by a 10 s cool-down.
  const auto left = estimate_remaining_s({{3, {10.0, 20.0}}, {2, {}}}, 10.0, 4.0);
  ASSERT_TRUE(left);
  EXPECT_DOUBLE_EQ(*left, (15.0 + 10.0 - 4.0) + 2 * (15.0 + 10.0));
  // A run under way for longer than its cell's mean counts as about to end, never as negative.
  const auto late = estimate_remaining_s({{2, {10.0}}}, 0.0, 30.0);
  ASSERT_TRUE(late);
  EXPECT_DOUBLE_EQ(*late, 0.0);
}

}  // namespace
}  // namespace jt::study
