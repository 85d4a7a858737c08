// SPDX-License-Identifier: BSD-3-Clause
// Slurm steps in the agent (docs/SLURM.md): registered by root, phases marked by the step's
// user, analysed into the job store's record once the history reaches the step's end. Expected
// energies come from the fixture's known powers and the test's instants.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agent/agent_service.hpp"
#include "agent/service_test_node.hpp"
#include "markers/marker_protocol.hpp"

namespace jt::agent {
namespace {

using nlohmann::json;
using namespace test;  // NOLINT(google-build-using-namespace): the test node's constants

// A node whose package draws 120 W and whose one GPU draws 300 W, never busy, from 100 s to
// 140 s.
class StepsTest : public ::testing::Test {
 protected:
  StepsTest() : state_(test::package_and_gpu_node()), service_(state_) {
    state_.channels[1].reports_activity = true;
    state_.channels[1].identity.vendor = Vendor::kNvidia;
    state_.activity = ActivityLog(2, kS, 3600 * kS);
    for (std::int64_t t = 100 * kS; t <= 140 * kS; t += 50 * kMs) {
      const double s = static_cast<double>(t - 100 * kS) / 1e9;
      state_.history.add_point(0, t, kPackageW * s, false);
      state_.history.add_point(1, t, kGpuW * s, false);
      state_.activity.add(1, t, 0.0);
    }
    state_.history.advance(140 * kS);
    root_.peer = {0, 0, 1, {}};
  }

  json ask(Session& session, json request, std::int64_t now_ns) {
    request["v"] = 1;
    auto answer = service_.handle(session, request.dump(), now_ns);
    return answer ? json::parse(*answer) : json{{"waiting", true}};
  }
  json begin(const std::string& step, std::int64_t now_ns, const std::string& detail = "phases",
             const std::string& gpus = "0") {
    return ask(root_,
               {{"op", "step_begin"},
                {"job_id", "42"},
                {"step_id", step},
                {"uid", kAlice},
                {"gid", kAlice},
                {"user", "alice"},
                {"cluster", "c1"},
                {"cpus", "0-3"},
                {"gpus", gpus},
                {"detail", detail}},
               now_ns);
  }
  json end(const std::string& step, std::int64_t now_ns) {
    return ask(root_, {{"op", "step_end"}, {"job_id", "42"}, {"step_id", step}}, now_ns);
  }
  static Session user(uid_t uid) {
    Session s;
    s.peer = {uid, uid, 1000, {}};
    return s;
  }
  void mark(Session& s, MarkerRecord::Kind kind, std::int64_t t_ns, std::uint64_t count = 0) {
    MarkerRecord r{kind, t_ns, 77, 1, count, "train"};
    std::string line = format_marker(r);
    line.pop_back();  // the server hands lines without their newline
    service_.feed_marker(s, line);
  }

  AgentState state_;
  AgentService service_;
  Session root_;
};

TEST_F(StepsTest, AStepsRecordHasItsEnergyPhasesAndIdleGpuFromTheKnownPowers) {
  ASSERT_TRUE(begin("0", 102 * kS)["ok"].get<bool>());
  Session alice = user(kAlice);
  ASSERT_TRUE(ask(alice, {{"op", "markers"}, {"job_id", "42"}, {"step_id", "0"}}, 103 * kS)["ok"]
                  .get<bool>());
  mark(alice, MarkerRecord::Kind::kBegin, 104 * kS);
  mark(alice, MarkerRecord::Kind::kItems, 106 * kS, 600);
  mark(alice, MarkerRecord::Kind::kEnd, 108 * kS);
  ASSERT_TRUE(end("0", 112 * kS)["ok"].get<bool>());

  const auto records = service_.finish_steps(113 * kS);
  ASSERT_EQ(records.size(), 1U);
  const store::StepRecord& r = records.front();
  EXPECT_EQ(r.key, (store::StepKey{"c1", "42", "0", "node-1"}));
  EXPECT_EQ(r.uid, kAlice);
  EXPECT_EQ(r.scope, store::StepScope::kStep);
  EXPECT_EQ(r.detail, "phases");
  ASSERT_TRUE(r.total.energy_j);
  EXPECT_NEAR(*r.total.energy_j, (kPackageW + kGpuW) * 10.0, (kPackageW + kGpuW) * 10.0 * 0.01);
  ASSERT_EQ(r.phases.size(), 1U);
  EXPECT_EQ(r.phases[0].name, "train");
  EXPECT_EQ(r.phases[0].items, 600U);
  ASSERT_TRUE(r.phases[0].energy.energy_j);
  EXPECT_NEAR(*r.phases[0].energy.energy_j, (kPackageW + kGpuW) * 4.0,
              (kPackageW + kGpuW) * 4.0 * 0.01);
  // The step owned GPU 0 and never used it: its energy is idle waste.
  ASSERT_TRUE(r.idle_gpu.energy_j);
  EXPECT_NEAR(*r.idle_gpu.energy_j, kGpuW * 10.0, kGpuW * 10.0 * 0.01);
  ASSERT_EQ(r.gpus_measured.size(), 1U);
  EXPECT_TRUE(r.gpus_measured[0].idle);
  EXPECT_DOUBLE_EQ(r.gpus_measured[0].share, 1.0);
  EXPECT_TRUE(service_.finish_steps(114 * kS).empty());  // made once
}

TEST_F(StepsTest, AStepWithoutGpusIsChargedNoIdleGpu) {
  ASSERT_TRUE(begin("batch", 102 * kS, "summary", "")["ok"].get<bool>());
  ASSERT_TRUE(end("4294967291", 105 * kS)["ok"].get<bool>());  // Slurm's number for "batch"
  const auto records = service_.finish_steps(106 * kS);
  ASSERT_EQ(records.size(), 1U);
  EXPECT_EQ(records[0].scope, store::StepScope::kBatch);
  ASSERT_TRUE(records[0].idle_gpu.energy_j);
  EXPECT_DOUBLE_EQ(*records[0].idle_gpu.energy_j, 0.0);
  EXPECT_DOUBLE_EQ(records[0].gpus_measured.at(0).share, 0.0);
}

// Slurm numbers AMD GPUs (GRES through ROCm SMI) as it numbers NVIDIA's: SLURM_STEP_GPUS selects
// them, where before a node's AMD GPU was charged whole to every step.
TEST_F(StepsTest, SlurmsGpuListSelectsAnAmdGpuToo) {
  state_.channels[1].identity.vendor = Vendor::kAmd;
  ASSERT_TRUE(begin("0", 102 * kS, "summary", "0")["ok"].get<bool>());
  ASSERT_TRUE(end("0", 112 * kS)["ok"].get<bool>());
  ASSERT_TRUE(begin("1", 120 * kS, "summary", "")["ok"].get<bool>());
  ASSERT_TRUE(end("1", 130 * kS)["ok"].get<bool>());
  const auto records = service_.finish_steps(131 * kS);
  ASSERT_EQ(records.size(), 2U);
  const auto& owner = records[0].key.step_id == "0" ? records[0] : records[1];
  const auto& other = records[0].key.step_id == "0" ? records[1] : records[0];
  EXPECT_DOUBLE_EQ(owner.gpus_measured.at(0).share, 1.0);
  ASSERT_TRUE(owner.idle_gpu.energy_j);
  EXPECT_NEAR(*owner.idle_gpu.energy_j, kGpuW * 10.0, kGpuW * 10.0 * 0.01);
  EXPECT_DOUBLE_EQ(other.gpus_measured.at(0).share, 0.0);
}

TEST_F(StepsTest, ARecordWaitsForTheHistoryToReachTheStepsEnd) {
  ASSERT_TRUE(begin("0", 130 * kS)["ok"].get<bool>());
  ASSERT_TRUE(end("0", 139 * kS + 950 * kMs)["ok"].get<bool>());
  state_.steps.begin()->second.end_ns = 145 * kS;  // past the history's newest row (140 s)
  EXPECT_TRUE(service_.finish_steps(146 * kS).empty());
  // Given up waiting: made from what there is, the missing end said, not invented.
  const auto records = service_.finish_steps(152 * kS);
  ASSERT_EQ(records.size(), 1U);
}

TEST_F(StepsTest, OnlyRootRegistersAndOnlyTheOwnerMarks) {
  Session bob = user(kBob);
  EXPECT_EQ(
      ask(bob,
          {{"op", "step_begin"}, {"job_id", "9"}, {"step_id", "0"}, {"uid", kBob}, {"gid", kBob}},
          101 * kS)["error"]["code"],
      "denied");
  ASSERT_TRUE(begin("0", 102 * kS)["ok"].get<bool>());
  EXPECT_EQ(begin("0", 103 * kS)["error"]["code"], "exists");
  // Bob cannot write phases into Alice's step, nor learn that it exists.
  EXPECT_EQ(
      ask(bob, {{"op", "markers"}, {"job_id", "42"}, {"step_id", "0"}}, 104 * kS)["error"]["code"],
      "not_found");
  EXPECT_TRUE(bob.marker_step.empty());
  EXPECT_EQ(end("1", 105 * kS)["error"]["code"], "not_found");
}

TEST_F(StepsTest, MalformedRegistrationsAreRefusedWithTheField) {
  const json no_uid = ask(root_, {{"op", "step_begin"}, {"job_id", "1"}, {"step_id", "0"}}, kS);
  EXPECT_EQ(no_uid["error"]["code"], "bad_request");
  EXPECT_NE(no_uid["error"]["message"].get<std::string>().find("uid"), std::string::npos);
  EXPECT_EQ(ask(root_,
                {{"op", "step_begin"}, {"job_id", "1.2"}, {"step_id", "0"}, {"uid", 1}, {"gid", 1}},
                kS)["error"]["code"],
            "bad_request");
  EXPECT_EQ(ask(root_,
                {{"op", "step_begin"},
                 {"job_id", "1"},
                 {"step_id", "0"},
                 {"uid", 1},
                 {"gid", 1},
                 {"detail", "everything"}},
                kS)["error"]["code"],
            "bad_request");
  EXPECT_EQ(
      ask(root_, {{"op", "step_begin"}, {"job_id", "1"}, {"step_id", "0"}, {"uid", -1}, {"gid", 1}},
          kS)["error"]["code"],
      "bad_request");
}

TEST_F(StepsTest, ASummaryStepTakesNoMarkers) {
  ASSERT_TRUE(begin("0", 102 * kS, "summary")["ok"].get<bool>());
  Session alice = user(kAlice);
  EXPECT_EQ(ask(alice, {{"op", "markers"}, {"job_id", "42"}, {"step_id", "0"}},
                103 * kS)["error"]["code"],
            "denied");
}

TEST_F(StepsTest, JobQueriesWithoutAStoreSaySo) {
  Session alice = user(kAlice);
  EXPECT_EQ(ask(alice, {{"op", "jobs"}}, 103 * kS)["error"]["code"], "store_unavailable");
}

}  // namespace
}  // namespace jt::agent

namespace jt::agent {
namespace {

TEST(GpuLists, AreJoinedEachNumberOnce) {
  EXPECT_EQ(union_of_gpu_lists("0,2", "2,3"), "0,2,3");
  EXPECT_EQ(union_of_gpu_lists("", "1"), "1");
  EXPECT_EQ(union_of_gpu_lists("", ""), "");
  EXPECT_EQ(union_of_gpu_lists("0,,1", ""), "0,1");
}

TEST_F(StepsTest, TheExternStepOwnsTheGpusItsJobsStepsWereGiven) {
  // Slurm gives the extern step neither GPUs nor the cluster's name.
  ASSERT_TRUE(ask(root_,
                  {{"op", "step_begin"},
                   {"job_id", "42"},
                   {"step_id", "extern"},
                   {"uid", kAlice},
                   {"gid", kAlice},
                   {"detail", "summary"}},
                  101 * kS)["ok"]
                  .get<bool>());
  ASSERT_TRUE(begin("0", 102 * kS, "summary", "0")["ok"].get<bool>());
  ASSERT_TRUE(end("0", 104 * kS)["ok"].get<bool>());
  ASSERT_TRUE(end("extern", 106 * kS)["ok"].get<bool>());
  const auto records = service_.finish_steps(107 * kS);
  ASSERT_EQ(records.size(), 2U);
  for (const store::StepRecord& r : records) {
    SCOPED_TRACE(r.key.step_id);
    EXPECT_EQ(r.gpus, "0");
    EXPECT_EQ(r.key.cluster, "c1");
    ASSERT_TRUE(r.idle_gpu.energy_j);
    const double seconds = r.key.step_id == "extern" ? 5.0 : 2.0;
    EXPECT_NEAR(*r.idle_gpu.energy_j, kGpuW * seconds, kGpuW * seconds * 0.01);
  }
}

}  // namespace
}  // namespace jt::agent
