// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace compare` end to end: two configurations measured by the real binary on fixture
// trees whose counters a live writer advances at known power (one with `--repeat 2`), then
// compared; the energies are checked against the writer's power times the time, never against
// another report.
#include <gtest/gtest.h>

#include "e2e/e2e_support.hpp"
#include "unit/compare_test_support.hpp"

namespace jt {
namespace {

using test::read_json;

constexpr double kTickS = 0.001;
// Scheduling slack on a loaded 2-core machine, as in run_e2e_test.cpp: the writer or the
// first/last read may be this late.
constexpr double kSlackS = 0.010;
double bound_j(double watts) { return watts * (2 * kTickS + kSlackS) + 1e-6; }

// A node whose two packages draw `package0_w` and `package1_w` (no node meter, DRAM idle at
// 0 W), measured with `run` and the extra options.
struct MeasuredNode {
  test::TempTree tree{"sysfs/intel-2s"};
  std::unique_ptr<test::BackgroundProcess> writer;
  test::TimedRun run;

  MeasuredNode(double package0_w, double package1_w, const std::vector<std::string>& options) {
    std::filesystem::remove_all(tree / "class/hwmon");
    writer = test::start_live_writer(
        tree,
        {"--channel",
         test::powercap_energy_file(tree, "intel-rapl:0") + ":" + std::to_string(package0_w),
         "--channel",
         test::powercap_energy_file(tree, "intel-rapl:1") + ":" + std::to_string(package1_w)});
    auto args = test::jouletrace_args(tree, "run");
    args.insert(args.end(), options.begin(), options.end());
    for (const char* word : {"-q", "-o", "OUT", "--", "sleep", "0.5"}) args.push_back(word);
    args[args.size() - 4] = output().string();
    run = test::run_timed(args);
  }
  std::filesystem::path output() const { return tree / "result.json"; }
};

TEST(CompareE2e, EnergiesOfTwoMeasuredNodesAreTheirPowerTimesTheirRuntime) {
  MeasuredNode busy(50.0, 30.0, {"--repeat", "2"});
  ASSERT_EQ(busy.run.result.exit_code, 0) << busy.run.result.err;
  MeasuredNode quiet(20.0, 10.0, {});
  ASSERT_EQ(quiet.run.result.exit_code, 0) << quiet.run.result.err;

  const auto out = busy.tree / "compare.json";
  const auto result = test::run_process(
      {test::jouletrace_binary(), "compare", "busy=" + busy.output().string(),
       "quiet=" + quiet.output().string(), "--reference", "busy", "--json", "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto compare = read_json(out);
  EXPECT_EQ(compare["schema"], "jouletrace.compare");
  const struct {
    const MeasuredNode& node;
    double watts;
    std::size_t runs;
  } expected[] = {{busy, 80.0, 2}, {quiet, 30.0, 1}};
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& c = compare["configurations"][i];
    const double watts = expected[i].watts;
    EXPECT_EQ(c["runs"], expected[i].runs) << c.dump(2);
    EXPECT_EQ(c["file_schema"], i == 0 ? "jouletrace.repeat" : "jouletrace.run");
    const double energy = c["total"]["mean_j"];
    const double duration = c["duration"]["mean_s"];
    // Each run took at least its `sleep` and at most the whole `jouletrace` process.
    EXPECT_TRUE(test::energy_within(energy, watts, expected[i].node.run.clock(0.5), bound_j(watts)))
        << c.dump(2);
    // The mean energy is the writer's power over the mean measured span.
    EXPECT_NEAR(energy, watts * duration, bound_j(watts)) << c.dump(2);
    EXPECT_EQ(c["total"]["method"], "counter");
    EXPECT_TRUE(c["total"]["mean_uncertainty_j"].is_number());
    EXPECT_EQ(c["total"]["stddev_j"].is_null(), expected[i].runs == 1);
    EXPECT_EQ(c["gpus"], 0);
  }
  // Energy per second of the quiet node against the busy one: 30 W / 80 W.
  const auto& ratio = compare["configurations"][1]["vs_reference"];
  const double energy_ratio = ratio["energy_ratio"];
  const double time_ratio = ratio["time_ratio"];
  EXPECT_NEAR(energy_ratio / time_ratio, 30.0 / 80.0, 0.05) << ratio.dump(2);

  const auto text =
      test::run_process({test::jouletrace_binary(), "compare", "busy=" + busy.output().string(),
                         "quiet=" + quiet.output().string(), "--reference", "busy"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("busy: "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("against busy"), std::string::npos) << text.out;
}

TEST(CompareCli, BadInputsAreUsageErrorsThatNameTheFile) {
  test::TempTree dir;
  const std::string jt = test::jouletrace_binary();
  const auto missing = test::run_process({jt, "compare", (dir / "missing.json").string()});
  EXPECT_EQ(missing.exit_code, 125);
  EXPECT_NE(missing.err.find("missing.json"), std::string::npos) << missing.err;

  test::write_file(dir / "broken.json", "{\"schema\": ");
  test::write_file(dir / "profile.json", R"({"schema": "jouletrace.node-profile", "version": 1})");
  const auto bad = test::run_process(
      {jt, "compare", (dir / "broken.json").string(), (dir / "profile.json").string()});
  EXPECT_EQ(bad.exit_code, 125);
  // One message per bad file.
  EXPECT_NE(bad.err.find("broken.json"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("profile.json"), std::string::npos) << bad.err;

  const auto both = test::run_process({jt, "compare", "--csv", "--json", "x.json"});
  EXPECT_EQ(both.exit_code, 125);
  const auto none = test::run_process({jt, "compare"});
  EXPECT_EQ(none.exit_code, 125);

  test::write_file(dir / "a.json", test::run_document({}).dump());
  const std::string a = (dir / "a.json").string();
  const auto twice = test::run_process({jt, "compare", a, "a=" + a});
  EXPECT_EQ(twice.exit_code, 125);
  EXPECT_NE(twice.err.find("'a' is given twice"), std::string::npos) << twice.err;
  const auto reference = test::run_process({jt, "compare", a, "b=" + a, "--reference", "c"});
  EXPECT_EQ(reference.exit_code, 125);
  EXPECT_NE(reference.err.find("'c' names no configuration"), std::string::npos) << reference.err;
}

}  // namespace
}  // namespace jt
