// SPDX-License-Identifier: BSD-3-Clause
// `jouletrace report --html` end to end: a run measured by the real binary on a fixture tree
// whose counters a live writer advances at known power, then drawn. The run's power profile
// must give the writer's power, within the uncertainty it states (plus the scheduling slack the
// other end-to-end tests allow).
#include <gtest/gtest.h>

#include "e2e/e2e_support.hpp"

namespace jt {
namespace {

using test::read_json;

constexpr double kTickS = 0.001;
constexpr double kSlackS = 0.010;  // a late writer tick or read on a loaded 2-core machine

// The time-weighted mean power of a profile series over its known buckets, and the mean of
// their stated uncertainties.
struct SeriesMean {
  double power_w = 0.0;
  double uncertainty_w = 0.0;
  double known_s = 0.0;
};
SeriesMean mean_of(const nlohmann::json& series, double bucket_s) {
  SeriesMean m;
  double energy = 0.0;
  double uncertainty = 0.0;
  for (std::size_t b = 0; b < series["power_w"].size(); ++b) {
    if (series["power_w"][b].is_null()) continue;
    energy += series["power_w"][b].get<double>() * bucket_s;
    uncertainty += series["uncertainty_w"][b].get<double>() * bucket_s;
    m.known_s += bucket_s;
  }
  if (m.known_s > 0.0) {
    m.power_w = energy / m.known_s;
    m.uncertainty_w = uncertainty / m.known_s;
  }
  return m;
}

TEST(ReportE2e, TheProfileOfAMeasuredRunIsTheFixturePowerAndThePageIsWritten) {
  test::TempTree tree{"sysfs/intel-2s"};
  std::filesystem::remove_all(tree / "class/hwmon");
  const auto writer = test::start_live_writer(
      tree, {"--channel", test::powercap_energy_file(tree, "intel-rapl:0") + ":60", "--channel",
             test::powercap_energy_file(tree, "intel-rapl:1") + ":25"});
  auto args = test::jouletrace_args(tree, "run");
  const auto json_path = tree / "run.json";
  args.insert(args.end(), {"-q", "-o", json_path.string(), "--", "sleep", "1"});
  const auto run = test::run_timed(args);
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;

  const auto report = read_json(json_path);
  const auto& profile = report["power_profile"];
  ASSERT_TRUE(profile.is_object()) << report.dump(2);
  EXPECT_GE(profile["buckets"].get<int>(), 5);
  const double bucket_s = profile["bucket_s"];
  const std::map<std::string, double> expected = {{"powercap/intel-rapl:0", 60.0},
                                                  {"powercap/intel-rapl:1", 25.0}};
  std::size_t checked = 0;
  for (const auto& series : profile["series"]) {
    const auto it = expected.find(series["id"].get<std::string>());
    if (it == expected.end()) continue;
    ++checked;
    EXPECT_EQ(series["method"], "counter");
    EXPECT_TRUE(series["stacked"]);
    const SeriesMean m = mean_of(series, bucket_s);
    ASSERT_GT(m.known_s, 0.5) << series.dump();
    const double slack_w = it->second * (2 * kTickS + kSlackS) / m.known_s;
    EXPECT_NEAR(m.power_w, it->second, m.uncertainty_w + slack_w) << series.dump();
  }
  EXPECT_EQ(checked, 2U);

  const auto page = tree / "report.html";
  const auto drawn = test::run_process(
      {test::jouletrace_binary(), "report", json_path.string(), "--html", page.string()});
  ASSERT_EQ(drawn.exit_code, 0) << drawn.err;
  const std::string html = test::read_file(page);
  EXPECT_NE(html.find("Power per component over time"), std::string::npos);
  EXPECT_NE(html.find("powercap/intel-rapl:1"), std::string::npos);
}

TEST(ReportE2e, AMalformedFileIsNamedWithItsField) {
  test::TempTree tree;
  test::write_file(tree / "bad.json", R"({"schema": "jouletrace.run", "version": 1})");
  const auto page = tree / "report.html";
  const auto result = test::run_process(
      {test::jouletrace_binary(), "report", (tree / "bad.json").string(), "--html", page.string()});
  EXPECT_EQ(result.exit_code, 125) << result.err;  // kExitOwnFailure, as compare
  EXPECT_NE(result.err.find("bad.json"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("started"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(page));
}

}  // namespace
}  // namespace jt
