// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace sensors` and `jouletrace run` with --redfish-config against the loopback BMC:
// the node meter is listed and measured; a failing BMC costs a clear message and the meter,
// never the run or its report.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "e2e/e2e_support.hpp"
#include "fakes/mock_bmc/mock_bmc_client.hpp"

namespace jt {
namespace {

using test::component;
using test::read_json;

constexpr double kMockPowerW = 400.0;
// A slow meter's first and last reads bracket a run loosely: a quarter of a second at either end.
constexpr double kLooseS = 0.25;
// A polled meter's energy, from its timestamps: 3 % (the tests' long-standing tolerance).
constexpr double kPolledError = 0.03;

using test::contains;

class RedfishE2e : public ::testing::Test {
 protected:
  std::vector<std::string> args(const std::string& verb, const test::MockBmc& bmc,
                                nlohmann::json fields = nlohmann::json::object()) {
    fields["url"] = bmc.url();
    const auto config = test::write_redfish_config(tree_ / "bmc.json", fields);
    auto argv = test::jouletrace_args(tree_, verb);
    argv.push_back("--redfish-config");
    argv.push_back(config.string());
    return argv;
  }
  static void append(std::vector<std::string>& argv, std::initializer_list<std::string> more) {
    argv.insert(argv.end(), more);
  }
  // The probe entry of the redfish backend in a run report.
  static const nlohmann::json* redfish_probe(const nlohmann::json& report) {
    for (const auto& s : report["sensors"]) {
      if (s["backend"] == "redfish") return &s;
    }
    return nullptr;
  }

  test::TempTree tree_{"sysfs/intel-2s"};
};

TEST_F(RedfishE2e, SensorsListsTheNodeMeter) {
  test::MockBmc bmc(tree_.path(), "ok");
  const auto result = test::run_process(args("sensors", bmc));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* text : {"redfish/1", "node", "energy counter", "EnergyJoules.Reading"}) {
    EXPECT_TRUE(contains(result.out, text)) << text << "\n" << result.out;
  }
}

TEST_F(RedfishE2e, RunReportsTheNodeComponent) {
  test::MockBmc bmc(tree_.path(), "ok");
  auto argv = args("run", bmc);
  append(argv, {"-o", (tree_ / "r.json").string(), "--", "sleep", "1"});
  const auto run = test::run_timed(argv);
  const auto& result = run.result;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(tree_ / "r.json");
  const auto* node = component(report, "redfish/1");
  ASSERT_NE(node, nullptr) << report.dump(2);
  EXPECT_EQ(node->at("domain"), "node");
  EXPECT_EQ(node->at("method"), "counter");
  // The run lasts `sleep 1` to the test's elapsed time at 400 W.
  EXPECT_TRUE(
      test::energy_within(node->at("energy_j"), kMockPowerW, run.clock(1.0), kMockPowerW * kLooseS))
      << node->dump(2);
  const auto* probe = redfish_probe(report);
  ASSERT_NE(probe, nullptr);
  EXPECT_EQ(probe->at("status"), "present");
}

// Issue 10 item 8: a BMC answering slowly was charged for the time its first and last reads
// took (+30 % on a 10 s run with 2.5 s answers); the run now counts its own interval only.
//
// The test's clock alone cannot tell: the slow probe makes `jouletrace` last seconds beyond the
// command. So a package counter advanced at a known 50 W, read in the same rounds from before the
// fork to after the reap, is the reference: the node's energy must be 400 / 50 times the
// package's, as both must be of their power over the test's span.
TEST_F(RedfishE2e, SlowBmcIsClippedToTheRun) {
  constexpr double kPackageW = 50.0;
  const auto writer = test::start_live_writer(
      tree_, {"--channel", test::powercap_energy_file(tree_, "intel-rapl:0") + ":50"});
  test::MockBmc bmc(tree_.path(), "slow", {"--delay-ms", "600"});
  auto argv = args("run", bmc);
  append(argv, {"-o", (tree_ / "slow.json").string(), "--", "sleep", "2"});
  const auto run = test::run_timed(argv);
  const auto& result = run.result;
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto report = read_json(tree_ / "slow.json");
  const test::RunClock clock = run.clock(2.0);  // `sleep 2`
  const auto* node = component(report, "redfish/1");
  ASSERT_NE(node, nullptr) << report.dump(2);
  const auto* package = component(report, "powercap/intel-rapl:0");
  ASSERT_NE(package, nullptr) << report.dump(2);
  // The package: its writer's 1 ms tick and 10 ms of lateness at each end.
  constexpr double kPackageSlackS = 0.012;
  const double package_j = package->at("energy_j");
  EXPECT_TRUE(test::energy_within(package_j, kPackageW, clock, kPackageW * kPackageSlackS));
  const double energy = node->at("energy_j");
  EXPECT_GE(energy, kMockPowerW * (1 - kPolledError) * clock.min_s) << node->dump(2);
  EXPECT_LE(energy, kMockPowerW * (1 + kPolledError) * clock.max_s) << node->dump(2);
  // Each answer's value is 0.3 s younger than its timestamp (the mock computes it after the
  // delay), the same at both ends: at constant power that cancels. Charged for the 0.6 s that
  // each end's read took, it would be 60 % over.
  const double reference_j = package_j * kMockPowerW / kPackageW;
  EXPECT_NEAR(energy, reference_j, kPolledError * reference_j) << node->dump(2);
  // Its uncertainty says so: the reference (itself within 12 ms of its span) lies within it.
  EXPECT_LE(std::abs(energy - reference_j),
            node->at("uncertainty_j").get<double>() + kMockPowerW * kPackageSlackS)
      << node->dump(2);
  // It covers the run: at least the command's 2 s, at most the span the reference was read over.
  EXPECT_TRUE(test::duration_within(
      node->at("covered_s"), {clock.min_s - 0.01, package_j / kPackageW + kPackageSlackS + 0.01}));
}

// A signal while the sensors are probed (a BMC that does not answer holds the probe for its
// timeout): the command, which would have gone on without the signal, is not started at all.
TEST_F(RedfishE2e, ASignalWhileProbingStartsNoCommand) {
  test::MockBmc bmc(tree_.path(), "timeout");
  auto argv = args("run", bmc);
  const auto ran = tree_ / "ran";
  append(argv, {"--", "touch", ran.string()});
  test::BackgroundProcess run(argv, tree_ / "out", tree_ / "err");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  run.signal(SIGTERM);
  EXPECT_EQ(run.wait(20.0), 128 + SIGTERM);
  EXPECT_FALSE(std::filesystem::exists(ran));
  EXPECT_TRUE(contains(test::read_file(tree_ / "err"), "before the command started"))
      << test::read_file(tree_ / "err");
}

TEST_F(RedfishE2e, FailingBmcLeavesTheRunAndItsReportIntact) {
  struct Case {
    const char* scenario;
    const char* message;
  };
  for (const Case& c : {Case{"auth-failure", "HTTP 401"}, Case{"timeout", "timed out"},
                        Case{"malformed-json", "malformed JSON"}}) {
    SCOPED_TRACE(c.scenario);
    test::MockBmc bmc(tree_.path(), c.scenario);
    auto argv = args("run", bmc);
    const auto out = tree_ / (std::string(c.scenario) + ".json");
    append(argv, {"-o", out.string(), "--", "sh", "-c", "sleep 0.2; exit 3"});
    const auto start = std::chrono::steady_clock::now();
    const auto result = test::run_process(argv);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(result.exit_code, 3) << result.err;  // the command's own code
    EXPECT_LT(elapsed, 10.0);
    EXPECT_TRUE(contains(result.err, "redfish")) << result.err;
    EXPECT_TRUE(contains(result.err, c.message)) << result.err;
    const auto report = read_json(out);
    EXPECT_EQ(component(report, "redfish/1"), nullptr);
    EXPECT_NE(component(report, "powercap/intel-rapl:0"), nullptr);  // the rest is measured
    const auto* probe = redfish_probe(report);
    ASSERT_NE(probe, nullptr);
    EXPECT_NE(probe->at("status"), "present");
    EXPECT_TRUE(contains(probe->at("detail").get<std::string>(), c.message));
  }
}

// Layouts from public mockups and captures (tests/fixtures/redfish/README.md), served by the
// mock BMC with its live 400 W node in place of the placeholders.
class RedfishLayouts : public RedfishE2e {
 protected:
  // The BMC is the only node meter here: the fixture's ACPI meter would be another.
  void SetUp() override { std::filesystem::remove_all(tree_ / "class/hwmon"); }
  nlohmann::json run_on(const std::string& mockup, std::vector<std::string> extra = {}) {
    std::vector<std::string> options = {"--mockup",
                                        test::fixture_dir("redfish/" + mockup).string()};
    options.insert(options.end(), extra.begin(), extra.end());
    test::MockBmc bmc(tree_.path(), "mockup", options);
    auto argv = args("run", bmc);
    append(argv, {"-o", (tree_ / "layout.json").string(), "--", "sleep", "1"});
    const auto run = test::run_timed(argv);
    result_ = run.result;
    clock_ = run.clock(1.0);  // `sleep 1`
    EXPECT_EQ(result_.exit_code, 0) << result_.err;
    return read_json(tree_ / "layout.json");
  }
  // The mock's 400 W over the run, within the polled meters' 3 %.
  ::testing::AssertionResult is_mock_power(double energy_j) const {
    const double low = kMockPowerW * (1 - kPolledError) * clock_.min_s;
    const double high = kMockPowerW * (1 + kPolledError) * clock_.max_s;
    if (energy_j >= low && energy_j <= high) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << energy_j << " J is not in [" << low << ", " << high << "] J (400 W, 3 %, test clock)";
  }
  test::ProcessResult result_;
  test::RunClock clock_;
};

// Issue 10 item 10: the SmartNIC card (energy sensor) won over its server (legacy Power).
TEST_F(RedfishLayouts, TheServerChassisIsTheNodeNotTheCardInsideIt) {
  const auto report = run_on("smartnic");
  const auto* node = component(report, "redfish/1U");
  ASSERT_NE(node, nullptr) << report.dump(2);
  EXPECT_TRUE(is_mock_power(node->at("energy_j")));
  EXPECT_EQ(component(report, "redfish/Card1"), nullptr);
}

// Issue 10 item 11: with the server entry null at start, the CPU sub-system entry was read for
// the whole run (603 J instead of 1226 J).
TEST_F(RedfishLayouts, LenovoServerEntryIsChosenByMeaningEvenWhenNullAtStart) {
  const auto report = run_on("lenovo-xcc");
  const auto* node = component(report, "redfish/1");
  ASSERT_NE(node, nullptr) << report.dump(2);
  EXPECT_NE(node->at("provenance").get<std::string>().find("PowerControl[0]"), std::string::npos);
  // The first poll (at the start) may still see null: the energy covers the rest, said so.
  EXPECT_TRUE(is_mock_power(node->at("energy_j"))) << node->dump(2);
}

TEST_F(RedfishLayouts, AmiAverageOnlyIsIntegratedWithItsWindowInTheUncertainty) {
  const auto report = run_on("ami-average");
  const auto* node = component(report, "redfish/Self");
  ASSERT_NE(node, nullptr) << report.dump(2);
  EXPECT_TRUE(is_mock_power(node->at("energy_j"))) << node->dump(2);
  // An average over 5 s: each end may be that stale.
  EXPECT_GE(node->at("uncertainty_j").get<double>(), 2 * 5.0 * kMockPowerW * 0.9);
}

// Issue 10 item 7: a 1 s run on whole kWh read 0 J and the node meter left the total silently;
// at 0.001 kWh it was 3600 +/- 718 J for 4489 J. The power beside it is taken instead.
TEST_F(RedfishLayouts, CoarseKwhGivesWayToThePowerBesideItOnAShortRun) {
  for (const char* mockup : {"rackmount-kwh", "rackmount-kwh-milli"}) {
    const auto report = run_on(mockup, {"--initial-energy-j", "1234567890"});
    ASSERT_EQ(report["total_cover"], (nlohmann::json{"redfish/1U/power"})) << report.dump(2);
    EXPECT_TRUE(is_mock_power(report["total_energy_j"]));
    const auto* kwh = component(report, "redfish/1U");
    ASSERT_NE(kwh, nullptr);
    // Its step is in its uncertainty: at least one step per end.
    const double step = std::string(mockup) == "rackmount-kwh" ? 3.6e6 : 3.6e3;
    EXPECT_GE(kwh->at("uncertainty_j").get<double>(), 2 * step) << kwh->dump(2);
    EXPECT_FALSE(contains(result_.err, "read 0 J")) << result_.err;
  }
}

}  // namespace
}  // namespace jt
