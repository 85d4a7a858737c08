// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>

#include "e2e/e2e_support.hpp"

namespace jt {
namespace {

TEST(SensorsVerb, ListsChannelsWithTheirFacts) {
  test::TempTree tree("sysfs/intel-2s");
  const auto result = test::run_process(test::jouletrace_args(tree, "sensors"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* text : {"powercap/intel-rapl:0", "package-1 dram", "hwmon/power_meter/power1",
                           "energy counter", "averaged power", "0.001 s", "energy_uj"}) {
    EXPECT_NE(result.out.find(text), std::string::npos) << text << "\n" << result.out;
  }
  // What was not found is listed with the reason.
  EXPECT_NE(result.out.find("nvml"), std::string::npos);
  EXPECT_NE(result.out.find("intel-rapl-mmio:0 skipped"), std::string::npos);
}

TEST(SensorsVerb, JsonNamesEveryProbe) {
  test::TempTree tree("sysfs/laptop-psys");
  auto args = test::jouletrace_args(tree, "sensors");
  args.push_back("--json");
  const auto result = test::run_process(args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["schema"], "jouletrace.sensors");
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["channels"].size(), 5u);
  bool psys = false;
  for (const auto& c : json["channels"]) {
    psys = psys || c["domain"] == "psys";
    // Unknown is null, never 0.
    for (const char* key : {"update_period_s", "max_power_w"}) {
      EXPECT_TRUE(c[key].is_null() || c[key].get<double>() > 0.0) << c.dump();
    }
  }
  EXPECT_TRUE(psys);
  EXPECT_GE(json["probes"].size(), 4u);
}

TEST(SensorsVerb, NothingFoundIsSaidPlainly) {
  test::TempTree tree("sysfs/no-sensors");
  const auto result = test::run_process(test::jouletrace_args(tree, "sensors"));
  ASSERT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("No energy or power sensor found"), std::string::npos);
  EXPECT_NE(result.out.find("modprobe msr"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace jt
