// SPDX-License-Identifier: BSD-3-Clause
// The SPANK plugin's option parsing and the requests it builds (plugins/slurm/spank_step.hpp,
// docs/SLURM.md "Options"). Expected requests are written out by hand from docs/AGENT.md.
#include "spank_step.hpp"

#include <gtest/gtest.h>

#include <array>
#include <nlohmann/json.hpp>
#include <string_view>

namespace jt::slurm {
namespace {

TEST(SlurmPluginArguments, NoArgumentsGiveTheDocumentedDefaults) {
  auto settings = parse_plugin_arguments({});
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->socket_path, "/run/jouletrace/agent.sock");
  EXPECT_EQ(settings->default_detail, Detail::kPhases);
  EXPECT_EQ(settings->timeout_ms, 50);
}

TEST(SlurmPluginArguments, EveryArgumentIsApplied) {
  const std::array<std::string_view, 3> arguments = {"socket=/tmp/a.sock", "default=summary",
                                                     "timeout_ms=20"};
  auto settings = parse_plugin_arguments(arguments);
  ASSERT_TRUE(settings.has_value()) << settings.error().message;
  EXPECT_EQ(settings->socket_path, "/tmp/a.sock");
  EXPECT_EQ(settings->default_detail, Detail::kSummary);
  EXPECT_EQ(settings->timeout_ms, 20);
}

TEST(SlurmPluginArguments, TyposAndBadValuesAreRefusedWithTheirText) {
  for (const std::string_view bad :
       {"sokcet=/x", "socket=relative.sock", "socket=", "default=all", "timeout_ms=0",
        "timeout_ms=10001", "timeout_ms=5ms", "timeout_ms=-1", "default", ""}) {
    const std::array<std::string_view, 1> arguments = {bad};
    auto settings = parse_plugin_arguments(arguments);
    EXPECT_FALSE(settings.has_value()) << bad;
  }
  const std::array<std::string_view, 1> typo = {"sokcet=/x"};
  EXPECT_NE(parse_plugin_arguments(typo).error().message.find("sokcet=/x"), std::string::npos);
}

TEST(SlurmPluginOption, DetailValues) {
  EXPECT_EQ(parse_detail("off"), Detail::kOff);
  EXPECT_EQ(parse_detail("summary"), Detail::kSummary);
  EXPECT_EQ(parse_detail("phases"), Detail::kPhases);
  EXPECT_FALSE(parse_detail("Phases").has_value());
  EXPECT_FALSE(parse_detail("").has_value());
}

TEST(SlurmStepIds, SpecialStepsHaveTheirSacctNames) {
  EXPECT_EQ(step_id_text(0), "0");
  EXPECT_EQ(step_id_text(17), "17");
  EXPECT_EQ(step_id_text(0xfffffffcU), "extern");
  EXPECT_EQ(step_id_text(0xfffffffbU), "batch");
  EXPECT_EQ(step_id_text(0xfffffffaU), "interactive");
}

TEST(SlurmStepRequests, StepBeginCarriesEveryField) {
  StepDescription step{"hpc",
                       "123",
                       "0",
                       1501,
                       1502,
                       "alice",
                       "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_123/step_0",
                       "0-3,8",
                       "0,1",
                       Detail::kSummary};
  const std::string line = step_begin_request(step);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto expected = nlohmann::json::parse(R"({"v":1,"op":"step_begin","cluster":"hpc",
      "job_id":"123","step_id":"0","uid":1501,"gid":1502,"user":"alice",
      "cgroup":"/sys/fs/cgroup/system.slice/slurmstepd.scope/job_123/step_0",
      "cpus":"0-3,8","gpus":"0,1","detail":"summary"})");
  EXPECT_EQ(nlohmann::json::parse(line), expected);
}

TEST(SlurmStepRequests, BytesThatAreNotUtf8DoNotThrow) {
  StepDescription step;
  step.user = std::string(
      "al\xff"
      "ice");
  std::string line;
  EXPECT_NO_THROW(line = step_begin_request(step));
  EXPECT_TRUE(nlohmann::json::accept(line));
}

TEST(SlurmStepRequests, StepEnd) {
  EXPECT_EQ(nlohmann::json::parse(step_end_request("123_4", "batch")),
            nlohmann::json::parse(R"({"v":1,"op":"step_end","job_id":"123_4","step_id":"batch"})"));
}

TEST(SlurmStepCgroup, TheStepIsTheParentOfSlurmstepdsLeaf) {
  EXPECT_EQ(step_cgroup_from_proc("0::/system.slice/slurmstepd.scope/job_7/step_0/slurm\n"),
            "/system.slice/slurmstepd.scope/job_7/step_0");
  EXPECT_EQ(step_cgroup_from_proc("0::/system.slice/slurmstepd.scope/job_7/step_extern/slurm\n"),
            "/system.slice/slurmstepd.scope/job_7/step_extern");
}

TEST(SlurmStepCgroup, UnknownOutsideAStepOrUnderCgroupV1) {
  EXPECT_EQ(step_cgroup_from_proc("0::/system.slice/slurmd.service\n"), "");
  EXPECT_EQ(step_cgroup_from_proc("12:freezer:/slurm/uid_0/job_7/step_0\n1:name=systemd:/x\n"), "");
  EXPECT_EQ(step_cgroup_from_proc(""), "");
}

TEST(SlurmStepEnvironment, WhatEachDetailSets) {
  EXPECT_TRUE(step_environment(Detail::kOff, "/s", "1", "0").empty());
  const auto summary = step_environment(Detail::kSummary, "/s", "1", "0");
  ASSERT_EQ(summary.size(), 1U);
  EXPECT_EQ(summary[0].name, "JOULETRACE_AGENT");
  EXPECT_EQ(summary[0].value, "/s");
  const auto phases = step_environment(Detail::kPhases, "/s", "123_4", "batch");
  ASSERT_EQ(phases.size(), 2U);
  EXPECT_EQ(phases[1].name, "JOULETRACE_MARKERS");
  EXPECT_EQ(phases[1].value, "agent:123_4.batch");
}

}  // namespace
}  // namespace jt::slurm

namespace jt::slurm {
namespace {

TEST(SlurmSocketPath, PercentNIsTheNodesShortName) {
  EXPECT_EQ(expand_node_name("/run/jt/agent.%n.sock", "node7.cluster.example"),
            "/run/jt/agent.node7.sock");
  EXPECT_EQ(expand_node_name("/run/jouletrace/agent.sock", "node7"), "/run/jouletrace/agent.sock");
  EXPECT_EQ(expand_node_name("/x/%", "n"), "/x/%");
  EXPECT_EQ(expand_node_name("/x/%n%n", "a"), "/x/aa");
}

}  // namespace
}  // namespace jt::slurm
