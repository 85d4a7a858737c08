// SPDX-License-Identifier: BSD-3-Clause
// CO2e and cost end to end (docs/CARBON.md): the real binary on a fixture node whose counters a
// live writer advances at known power. CO2e must be power x the test's clock time / 3.6e6 x PUE
// x the data file's intensity, the intensity read here from data/carbon.json itself.
#include <gtest/gtest.h>

#include <filesystem>

#include "e2e/e2e_support.hpp"

namespace jt {
namespace {

namespace fs = std::filesystem;
using test::read_json;

constexpr double kTickS = 0.001;
constexpr double kSlackS = 0.010;  // scheduling slack on a loaded 2-core machine
double bound_j(double watts) { return watts * (2 * kTickS + kSlackS) + 1e-6; }
// Packages at 50 and 30 W, their DRAM at 5 and 4 W: the total, without a node meter.
constexpr double kNodeW = 50 + 30 + 5 + 4;

double data_file_intensity(const std::string& code) {
  const auto data = read_json(JT_CARBON_DATA);
  for (const auto& region : data["regions"]) {
    if (region["code"] == code) return region["intensity_g_per_kwh"].get<double>();
  }
  ADD_FAILURE() << code << " is not in " << JT_CARBON_DATA;
  return 0.0;
}

class CarbonRun : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::remove_all(tree_ / "class/hwmon");  // no node meter: the total is the sum of parts
    const auto zone = [&](const char* name) { return test::powercap_energy_file(tree_, name); };
    writer_ = test::start_live_writer(
        tree_,
        {"--channel", zone("intel-rapl:0") + ":50", "--channel", zone("intel-rapl:1") + ":30",
         "--channel", zone("intel-rapl:0:1") + ":5", "--channel", zone("intel-rapl:1:1") + ":4"});
  }
  void TearDown() override { writer_.reset(); }

  test::TimedRun run(const std::vector<std::string>& options,
                     std::map<std::string, std::string> env = {}) {
    auto args = test::jouletrace_args(tree_, "run");
    args.insert(args.end(), options.begin(), options.end());
    for (const auto& a : {std::string("-o"), (tree_ / "report.json").string(), std::string("--"),
                          std::string("sleep"), std::string("1")}) {
      args.push_back(a);
    }
    return test::run_timed(args, {.env = std::move(env), .unset_env = kCarbonVariables});
  }

  const std::vector<std::string> kCarbonVariables = {"JOULETRACE_REGION",
                                                     "JOULETRACE_CARBON_INTENSITY",
                                                     "JOULETRACE_PRICE", "JOULETRACE_CARBON_FILE"};
  test::TempTree tree_{"sysfs/intel-2s"};
  std::unique_ptr<test::BackgroundProcess> writer_;
};

TEST_F(CarbonRun, Co2eIsEnergyTimesPueTimesTheRegionsIntensity) {
  const auto timed = run({"--region", "de", "--pue", "1.2", "--price", "0.3/EUR"});
  ASSERT_EQ(timed.result.exit_code, 0) << timed.result.err;
  const auto report = read_json(tree_ / "report.json");
  const test::RunClock clock = timed.clock(1.0);
  const auto& carbon = report["carbon"];
  ASSERT_TRUE(carbon["co2e_g"].is_number()) << carbon.dump(2);
  const double intensity = data_file_intensity("DE");
  // g = J / 3.6e6 x PUE x g/kWh: back to joules, checked against power x the test's clock.
  const double g_per_j = 1.2 * intensity / 3.6e6;
  EXPECT_TRUE(test::energy_within(carbon["co2e_g"].get<double>() / g_per_j, kNodeW, clock,
                                  bound_j(kNodeW)));
  const double eur_per_j = 1.2 * 0.3 / 3.6e6;
  EXPECT_TRUE(test::energy_within(carbon["cost"].get<double>() / eur_per_j, kNodeW, clock,
                                  bound_j(kNodeW)));
  // The uncertainty is the total's, scaled by the same factors.
  EXPECT_NEAR(carbon["co2e_uncertainty_g"].get<double>(),
              report["total_uncertainty_j"].get<double>() * g_per_j, 1e-9);
  EXPECT_EQ(carbon["currency"], "EUR");
  EXPECT_EQ(carbon["region"]["code"], "DE");
  const std::string method = carbon["co2e_method"];
  EXPECT_TRUE(test::contains(method, "measured energy (counter) x PUE 1.2 (option) x ")) << method;
  EXPECT_TRUE(test::contains(method, "(DE 2024, Ember)")) << method;
  EXPECT_TRUE(test::contains(timed.result.err, "CO2e: ")) << timed.result.err;
  EXPECT_TRUE(test::contains(timed.result.err, "cost: ")) << timed.result.err;
}

TEST_F(CarbonRun, TheOptionBeatsTheEnvironmentWhichBeatsTheDataFile) {
  const auto timed = run({"--carbon-intensity", "100"},
                         {{"JOULETRACE_REGION", "FR"}, {"JOULETRACE_CARBON_INTENSITY", "999"}});
  ASSERT_EQ(timed.result.exit_code, 0) << timed.result.err;
  const auto report = read_json(tree_ / "report.json");
  const auto& carbon = report["carbon"];
  EXPECT_EQ(carbon["region"]["code"], "FR");
  EXPECT_EQ(carbon["intensity_g_per_kwh"], 100.0);
  EXPECT_EQ(carbon["intensity_from"], "option");
  EXPECT_EQ(carbon["pue_from"], "default");
  // The data file ships no price: the cost is unknown, never 0.
  EXPECT_TRUE(carbon["cost"].is_null()) << carbon.dump(2);
}

TEST_F(CarbonRun, NoRegionMeansNoCo2eAndABadOneIsAUsageError) {
  const auto plain = run({});
  ASSERT_EQ(plain.result.exit_code, 0) << plain.result.err;
  const auto report = read_json(tree_ / "report.json");
  const auto& carbon = report["carbon"];
  EXPECT_TRUE(carbon["co2e_g"].is_null()) << carbon.dump(2);
  EXPECT_TRUE(carbon["region"].is_null());
  EXPECT_FALSE(test::contains(plain.result.err, "CO2e")) << plain.result.err;

  const auto unknown = run({"--region", "XX"});
  EXPECT_EQ(unknown.result.exit_code, 125);
  EXPECT_TRUE(test::contains(unknown.result.err, "--region 'XX' is not in")) << unknown.result.err;
  const auto bad_env = run({}, {{"JOULETRACE_PRICE", "free"}});
  EXPECT_EQ(bad_env.result.exit_code, 125);
  EXPECT_TRUE(test::contains(bad_env.result.err, "JOULETRACE_PRICE 'free'")) << bad_env.result.err;
}

}  // namespace
}  // namespace jt
