// SPDX-License-Identifier: BSD-3-Clause
// The agent's protocol and access policy over a history fed at known powers: what each user is
// served, at which resolution, and what is refused.
#include "agent/agent_service.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "agent/agent_config.hpp"
#include "agent/service_test_node.hpp"
#include "support/test_support.hpp"

namespace jt::agent {
namespace {

using nlohmann::json;
using namespace test;  // NOLINT(google-build-using-namespace): the test node's constants

// A node whose package draws 120 W and whose GPU draws 300 W from 100 s to 120 s; Alice has work
// on it from 100 s to 120 s, Bob from 110 s to 111 s.
class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() : state_(test::package_and_gpu_node()), service_(state_) {
    for (std::int64_t t = 100 * kS; t <= 120 * kS; t += 50 * kMs) {
      const double s = static_cast<double>(t - 100 * kS) / 1e9;
      state_.history.add_point(0, t, kPackageW * s, false);
      state_.history.add_point(1, t, kGpuW * s, false);
    }
    state_.history.advance(120 * kS);
    state_.presence.note(kAlice, 100 * kS, 120 * kS);
    state_.presence.note(kBob, 110 * kS, 111 * kS);
  }

  json ask(uid_t uid, json request, std::int64_t now_ns = 120 * kS) {
    Session session;
    session.peer.uid = uid;
    session.peer.gid = uid;
    return ask(session, std::move(request), now_ns);
  }
  json ask(Session& session, json request, std::int64_t now_ns = 120 * kS) {
    if (!request.contains("v")) request["v"] = 1;
    auto answer = service_.handle(session, request.dump(), now_ns);
    for (std::int64_t t = now_ns; !answer && t < now_ns + 20 * kS; t += 100 * kMs) {
      answer = service_.retry(session, t);
    }
    return answer ? json::parse(*answer) : json{{"waiting", true}};
  }
  static const json& component(const json& answer, const std::string& id) {
    for (const auto& c : answer["components"]) {
      if (c["id"] == id) return c;
    }
    static const json none;
    return none;
  }

  AgentState state_;
  AgentService service_;
};

TEST_F(ServiceTest, AUserGetsCounterEnergyOfAnIntervalTheyHadWorkIn) {
  const json answer = ask(kAlice, {{"op", "energy"}, {"from_ns", 101 * kS}, {"to_ns", 104 * kS}});
  ASSERT_TRUE(answer["ok"].get<bool>()) << answer.dump();
  // Alone on the node: the sampling interval.
  EXPECT_DOUBLE_EQ(answer["resolution_s"].get<double>(), 0.1);
  const json& package = component(answer, "powercap/intel-rapl:0");
  EXPECT_NEAR(package["energy_j"].get<double>(), kPackageW * 3.0, 1e-6);
  EXPECT_EQ(package["method"], "counter");
  EXPECT_TRUE(package["uncertainty_j"].is_number());
  const json& gpu = component(answer, "nvml/GPU-0");
  EXPECT_NEAR(gpu["energy_j"].get<double>(), kGpuW * 3.0, 1e-6);
  EXPECT_EQ(gpu["method"], "power-integrated");
}

TEST_F(ServiceTest, ASharedNodeIsServedNoFinerThanTheFloor) {
  const json answer =
      ask(kAlice,
          {{"op", "energy"}, {"from_ns", 110 * kS + 300 * kMs}, {"to_ns", 110 * kS + 700 * kMs}});
  ASSERT_TRUE(answer["ok"].get<bool>()) << answer.dump();
  EXPECT_DOUBLE_EQ(answer["resolution_s"].get<double>(), 1.0);
  EXPECT_EQ(answer["from_ns"].get<std::int64_t>(), 110 * kS);
  EXPECT_EQ(answer["to_ns"].get<std::int64_t>(), 111 * kS);
  EXPECT_NEAR(component(answer, "powercap/intel-rapl:0")["energy_j"].get<double>(), kPackageW,
              1e-6);
}

TEST_F(ServiceTest, AnotherUsersTimeAndJobsAreRefused) {
  const json energy = ask(kBob, {{"op", "energy"}, {"from_ns", 101 * kS}, {"to_ns", 104 * kS}});
  EXPECT_FALSE(energy["ok"].get<bool>());
  EXPECT_EQ(energy["error"]["code"], "denied");

  EXPECT_EQ(ask(kAlice, {{"op", "job_begin"}, {"job_id", "7"}, {"uid", kAlice}})["error"]["code"],
            "denied");
  ASSERT_TRUE(ask(0, {{"op", "job_begin"}, {"job_id", "7"}, {"uid", kAlice}}, 105 * kS)["ok"]);
  ASSERT_TRUE(ask(0, {{"op", "job_end"}, {"job_id", "7"}}, 108 * kS)["ok"]);
  EXPECT_EQ(ask(0, {{"op", "job_begin"}, {"job_id", "7"}, {"uid", kBob}})["error"]["code"],
            "exists");
  EXPECT_EQ(
      ask(0,
          {{"op", "job_begin"}, {"job_id", std::string(300, 'j')}, {"uid", kBob}})["error"]["code"],
      "too_large");
  const json theirs = ask(kBob, {{"op", "job"}, {"job_id", "7"}});
  EXPECT_EQ(theirs["error"]["code"], "not_found");
  const json mine = ask(kAlice, {{"op", "job"}, {"job_id", "7"}});
  ASSERT_TRUE(mine["ok"].get<bool>()) << mine.dump();
  EXPECT_NEAR(component(mine, "nvml/GPU-0")["energy_j"].get<double>(), kGpuW * 3.0, 1e-6);
}

TEST_F(ServiceTest, RootAndOperatorsSeeEverything) {
  EXPECT_TRUE(ask(0, {{"op", "energy"}, {"from_ns", 101 * kS}, {"to_ns", 102 * kS}})["ok"]);
  state_.policy.operators_gid = 4242;
  Session ops;
  ops.peer.uid = 1600;
  ops.peer.gid = 100;
  ops.peer.groups = {100, 4242};
  const json answer = ask(ops, {{"op", "energy"}, {"from_ns", 101 * kS}, {"to_ns", 102 * kS}});
  EXPECT_TRUE(answer["ok"].get<bool>()) << answer.dump();
}

TEST_F(ServiceTest, ReadAnswersTheNextBoundaryOnceTheHistoryHasIt) {
  Session session;
  session.peer.uid = kAlice;
  const json first = ask(session, {{"op", "read"}}, 119 * kS + 450 * kMs);
  ASSERT_TRUE(first["ok"].get<bool>()) << first.dump();
  const auto t = first["t_ns"].get<std::int64_t>();
  EXPECT_EQ(t % (100 * kMs), 0);
  EXPECT_GE(t, 119 * kS + 400 * kMs);
  EXPECT_NEAR(first["values"][0]["energy_j"].get<double>(),
              kPackageW * static_cast<double>(t - 100 * kS) / 1e9, 1e-6);
  EXPECT_EQ(first["values"][0]["status"], "ok");
}

TEST_F(ServiceTest, WindowsAreMeasuredBetweenTheirMarks) {
  Session session;
  session.peer.uid = kAlice;
  const json begin = ask(session, {{"op", "window_begin"}, {"name", "train"}}, 102 * kS);
  ASSERT_TRUE(begin["ok"].get<bool>()) << begin.dump();
  const json end = ask(session, {{"op", "window_end"}, {"window", begin["window"]}}, 105 * kS);
  ASSERT_TRUE(end["ok"].get<bool>()) << end.dump();
  EXPECT_EQ(end["name"], "train");
  EXPECT_NEAR(component(end, "powercap/intel-rapl:0")["energy_j"].get<double>(), kPackageW * 3.0,
              1e-6);
}

TEST_F(ServiceTest, AUsersRunIsAnalysedAndKeptForItsOwnerOnly) {
  Session session;
  session.peer.uid = kAlice;
  session.peer.pid = 4242;
  const json begin = ask(session, {{"op", "run_begin"}}, 102 * kS);
  ASSERT_TRUE(begin["ok"].get<bool>()) << begin.dump();
  const std::string id = begin["run_id"];
  const json end = ask(session, {{"op", "run_end"}, {"run_id", id}}, 105 * kS);
  ASSERT_TRUE(end["ok"].get<bool>()) << end.dump();
  EXPECT_EQ(end["name"], id);
  EXPECT_NEAR(component(end, "powercap/intel-rapl:0")["energy_j"].get<double>(), kPackageW * 3.0,
              1e-6);
  // Later, from another connection: the owner gets it again, another user not at all.
  const json again = ask(kAlice, {{"op", "job"}, {"job_id", id}});
  ASSERT_TRUE(again["ok"].get<bool>()) << again.dump();
  EXPECT_TRUE(again["finished"].get<bool>());
  EXPECT_NEAR(component(again, "nvml/GPU-0")["energy_j"].get<double>(), kGpuW * 3.0, 1e-6);
  EXPECT_EQ(ask(kBob, {{"op", "job"}, {"job_id", id}})["error"]["code"], "not_found");
  EXPECT_EQ(ask(kBob, {{"op", "run_end"}, {"run_id", id}})["error"]["code"], "not_found");
  // A run is not a job of the exporter's.
  EXPECT_TRUE(service_.metrics_snapshot(0, 0).jobs.empty());
}

TEST_F(ServiceTest, MalformedRequestsGetAClearAnswer) {
  Session session;
  session.peer.uid = kAlice;
  const auto garbage = service_.handle(session, "{not json", 120 * kS);
  ASSERT_TRUE(garbage);
  EXPECT_EQ(json::parse(*garbage)["error"]["code"], "bad_request");
  EXPECT_EQ(ask(kAlice, {{"v", 99}, {"op", "hello"}})["error"]["code"], "unsupported_version");
  EXPECT_EQ(ask(kAlice, {{"op", "reboot"}})["error"]["code"], "unknown_op");
  EXPECT_EQ(ask(kAlice, {{"op", "energy"}, {"from_ns", "soon"}})["error"]["code"], "bad_request");
  EXPECT_EQ(ask(kAlice, {{"op", "job"}})["error"]["code"], "bad_request");
}

// Found by fuzz/agent_protocol_fuzzer.cpp: a "v" of another type threw out of handle(), and a
// float past an integer's range converted with undefined behaviour.
TEST_F(ServiceTest, FieldsOfTheWrongTypeAreRefusedNotConverted) {
  Session session;
  session.peer.uid = 0;
  const auto text = service_.handle(session, R"({"v":"1","op":"hello"})", 120 * kS);
  ASSERT_TRUE(text);
  EXPECT_EQ(json::parse(*text)["error"]["code"], "unsupported_version");
  EXPECT_EQ(ask(0, {{"v", 1e300}, {"op", "hello"}})["error"]["code"], "unsupported_version");
  EXPECT_EQ(ask(0, {{"op", "read"}, {"after_ns", 1e300}})["error"]["code"], "bad_request");
  EXPECT_EQ(ask(0, {{"op", "window_end"}, {"window", 1e308}})["error"]["code"], "bad_request");
  EXPECT_EQ(ask(0, {{"op", "job_begin"}, {"job_id", "x"}, {"uid", 1e300}})["error"]["code"],
            "bad_request");
  EXPECT_EQ(ask(0, {{"op", "job_begin"}, {"job_id", "x"}, {"uid", -1}})["error"]["code"],
            "bad_request");
  EXPECT_EQ(ask(0, {{"op", "energy"},
                    {"from_ns", std::numeric_limits<std::int64_t>::min()},
                    {"to_ns", 110 * kS},
                    {"clock", "realtime"}})["error"]["code"],
            "bad_request");
}

// Found by the fuzzer: an interval of years cost one step per row that was never there (a hang).
TEST_F(ServiceTest, AnIntervalOfYearsIsAnsweredFromTheRowsThereAre) {
  const json answer =
      ask(0, {{"op", "energy"}, {"from_ns", -(std::int64_t{1} << 62)}, {"to_ns", 110 * kS}});
  ASSERT_TRUE(answer["ok"].get<bool>()) << answer.dump();
  EXPECT_NEAR(component(answer, "nvml/GPU-0")["energy_j"].get<double>(), kGpuW * 10.0, 1e-6);
}

// Found by the fuzzer: the history lags the clock, so a job asked about just after job_begin
// was answered with from_ns after to_ns.
TEST_F(ServiceTest, AJobBegunAMomentAgoHasMeasuredNothingYet) {
  ASSERT_TRUE(ask(0, {{"op", "job_begin"}, {"job_id", "9"}, {"uid", kAlice}}, 125 * kS)["ok"]);
  const json answer = ask(0, {{"op", "job"}, {"job_id", "9"}}, 125 * kS + 500 * kMs);
  ASSERT_TRUE(answer["ok"].get<bool>()) << answer.dump();
  EXPECT_LE(answer["from_ns"].get<std::int64_t>(), answer["to_ns"].get<std::int64_t>());
}

TEST_F(ServiceTest, HelloSaysWhatThisUserIsServed) {
  const json alone = ask(kAlice, {{"op", "hello"}}, 115 * kS);
  EXPECT_EQ(alone["you"]["uid"], kAlice);
  EXPECT_FALSE(alone["you"]["operator"].get<bool>());
  EXPECT_TRUE(alone["you"]["exclusive"].get<bool>());
  EXPECT_DOUBLE_EQ(alone["you"]["floor_s"].get<double>(), 0.1);
  const json shared = ask(kAlice, {{"op", "hello"}}, 110 * kS + 500 * kMs);
  EXPECT_FALSE(shared["you"]["exclusive"].get<bool>());
  EXPECT_DOUBLE_EQ(shared["you"]["floor_s"].get<double>(), 1.0);
}

TEST(AgentConfig, ReadsEveryKeyAndRefusesUnknownOnes) {
  const jt::test::TempTree dir;
  jt::test::write_file(dir / "good.json", R"({"operators_group": 4242, "shared_floor_s": 2,
    "first_user_uid": 2000, "presence_scan_s": 0.5,
    "history": {"fine_span_s": 300, "coarse_step_s": 1, "coarse_span_s": 3600},
    "limits": {"max_connections": 16, "requests_per_s": 5}})");
  auto config = read_agent_config(dir / "good.json", 0.1);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->policy.operators_gid, 4242U);
  EXPECT_DOUBLE_EQ(config->policy.shared_floor_s, 2.0);
  EXPECT_DOUBLE_EQ(config->policy.exclusive_floor_s, 0.1);
  EXPECT_EQ(config->policy.first_user_uid, 2000U);
  EXPECT_DOUBLE_EQ(config->history.coarse_span_s, 3600.0);
  EXPECT_DOUBLE_EQ(config->policy.presence_scan_s, 0.5);
  EXPECT_EQ(config->limits.max_connections, 16U);

  jt::test::write_file(dir / "typo.json", R"({"shared_flor_s": 2})");
  auto typo = read_agent_config(dir / "typo.json", 0.1);
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("shared_flor_s"), std::string::npos);
  EXPECT_FALSE(read_agent_config(dir / "missing.json", 0.1));
}

}  // namespace
}  // namespace jt::agent
