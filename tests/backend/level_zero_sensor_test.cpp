// SPDX-License-Identifier: BSD-3-Clause
// Level Zero Sysman backend through the production loader, against the in-tree fake
// libze_loader.so.1 (tests/fakes/fake_level_zero.cpp documents its configuration).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "backend/gpu_fake_machine.hpp"
#include "sensors/backends.hpp"

namespace {

using jt::ProbeReport;
using jt::Reading;
using jt::test::count_reports;
using jt::test::read_all;
using jt::test::steady_s;

jt::test::FakeGpuMachine machine(const std::string& config) {
  return {"JT_FAKE_LEVEL_ZERO_CONFIG", "JOULETRACE_LEVEL_ZERO_LIBRARY", config};
}

jt::ProbeOutcome probe(const std::string& library = JT_FAKE_LEVEL_ZERO) {
  jt::ProbeContext context;
  context.level_zero_library = library;
  return jt::probe_level_zero(context);
}

}  // namespace

TEST(LevelZeroSensor, LoaderNotFoundIsAbsentWithHint) {
  const auto outcome = probe("/nonexistent/libze_loader.so.1");
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_NE(outcome.reports[0].hint.find("--level-zero-library"), std::string::npos);
}

TEST(LevelZeroSensor, LoaderWithoutSysmanEntryPointsIsUnsupported) {
  // The ROCm SMI fake is a shared library without any zes* symbol.
  const auto outcome = probe(JT_FAKE_ROCM_SMI);
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kError);
  EXPECT_NE(outcome.reports[0].detail.find("zesInit"), std::string::npos);
}

// One process, one fake: the configuration is read at the first zesInit, so every case that
// needs devices shares one machine of two GPUs, one with two tiles.
TEST(LevelZeroSensor, CardAndTilesWithIdentityAndConfiguredPower) {
  const auto fake = machine(
      "device name=Intel_Data_Center_GPU_Max_1550 uuid=8680bd0b0000000000000000000000aa "
      "pci=0000:29:00.0 power_w=600 tiles=2 tile_w=250 limit_w=600 busy=40\n"
      "device name=Intel_Arc_B580 uuid=8680e20b0000000000000000000000bb pci=0000:03:00.0 "
      "power_w=150 lost_after_reads=3 busy=-1\n");
  auto outcome = probe();
  ASSERT_EQ(outcome.sensors.size(), 1u);
  auto& sensor = *outcome.sensors[0];
  ASSERT_EQ(sensor.channels().size(), 4u);
  EXPECT_EQ(count_reports(outcome, ProbeReport::Status::kPresent), 4);
  const auto& card = sensor.channels()[0];
  EXPECT_EQ(sensor.backend(), "level_zero");
  EXPECT_EQ(card.id, "level_zero/8680bd0b0000000000000000000000aa/device");
  EXPECT_EQ(card.device, "Intel Data Center GPU Max 1550");
  EXPECT_EQ(card.identity.vendor, jt::Vendor::kIntel);
  EXPECT_EQ(card.identity.bus_id, "0000:29:00.0");
  EXPECT_EQ(card.identity.index, 0);
  ASSERT_TRUE(card.identity.rated_power_w.has_value());
  EXPECT_DOUBLE_EQ(*card.identity.rated_power_w, 600.0);
  ASSERT_EQ(card.contains.size(), 2u);
  EXPECT_EQ(card.contains[0], "level_zero/8680bd0b0000000000000000000000aa/tile0");
  EXPECT_EQ(card.contains[1], "level_zero/8680bd0b0000000000000000000000aa/tile1");
  EXPECT_EQ(sensor.channels()[3].identity.index, 1);
  EXPECT_TRUE(card.reports_activity);                   // the device's engine group
  EXPECT_FALSE(sensor.channels()[1].reports_activity);  // a tile: its device reports it
  EXPECT_FALSE(sensor.channels()[3].reports_activity);  // no engine group

  const double t0 = steady_s();
  const auto first = read_all(sensor);
  const double t1 = steady_s();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const double t2 = steady_s();
  const auto second = read_all(sensor);
  const double t3 = steady_s();
  EXPECT_LT(first[0].activity_pct, 0.0F);  // the first read has no interval yet
  // The fake's engines are busy 40 % of the time; its own clock, so only rounding separates them.
  EXPECT_NEAR(second[0].activity_pct, 40.0F, 0.5F);
  EXPECT_LT(second[3].activity_pct, 0.0F);
  const double watts[] = {600.0, 250.0, 250.0};
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(second[i].status, Reading::Status::kOk) << i;
    const double joules = static_cast<double>(second[i].raw - first[i].raw) * 1e-6;
    EXPECT_GE(joules, watts[i] * (t2 - t1) - 2e-6) << i;
    EXPECT_LE(joules, watts[i] * (t3 - t0) + 2e-6) << i;
  }
  // The second GPU answered the probe's read and two rounds: lost from then on, for good.
  EXPECT_EQ(second[3].status, Reading::Status::kOk);
  EXPECT_EQ(read_all(sensor)[3].status, Reading::Status::kLost);
  EXPECT_EQ(read_all(sensor)[3].status, Reading::Status::kLost);
}

// A loader before 1.5 (Debian 12's libze1): no zesInit; Sysman through zeInit with
// ZES_ENABLE_SYSMAN=1 (docs/backends/intel.md I1b). Each test is its own process under CTest, so
// each sees the fake fresh.
namespace {

jt::ProbeOutcome probe_legacy(bool may_set_environment) {
  jt::ProbeContext context;
  context.level_zero_library = JT_FAKE_LEVEL_ZERO_LEGACY;
  context.may_set_environment = may_set_environment;
  return jt::probe_level_zero(context);
}

constexpr const char* kOneMax1100 =
    "device name=Intel_Data_Center_GPU_Max_1100 uuid=8680bd0c0000000000000000000000cc "
    "pci=0000:3a:00.0 power_w=300 busy=-1\n";

}  // namespace

TEST(LevelZeroSensor, OldLoaderInsideAProgramLeavesItsEnvironmentAlone) {
  const auto fake = machine(kOneMax1100);
  ::unsetenv("ZES_ENABLE_SYSMAN");
  const auto outcome = probe_legacy(false);
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
  EXPECT_NE(outcome.reports[0].detail.find("ZES_ENABLE_SYSMAN=1"), std::string::npos)
      << outcome.reports[0].detail;
  EXPECT_EQ(std::getenv("ZES_ENABLE_SYSMAN"), nullptr);
}

TEST(LevelZeroSensor, OldLoaderReadsSysmanThroughZeInitAndUnsetsTheVariable) {
  const auto fake = machine(kOneMax1100);
  ::unsetenv("ZES_ENABLE_SYSMAN");
  auto outcome = probe_legacy(true);
  EXPECT_EQ(std::getenv("ZES_ENABLE_SYSMAN"), nullptr);  // gone again after zeInit
  ASSERT_EQ(outcome.sensors.size(), 1u);
  auto& sensor = *outcome.sensors[0];
  ASSERT_EQ(sensor.channels().size(), 1u);
  EXPECT_EQ(sensor.channels()[0].id, "level_zero/8680bd0c0000000000000000000000cc/device");
  EXPECT_EQ(sensor.channels()[0].identity.bus_id, "0000:3a:00.0");

  const double t0 = steady_s();
  const auto first = read_all(sensor);
  const double t1 = steady_s();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const double t2 = steady_s();
  const auto second = read_all(sensor);
  const double t3 = steady_s();
  ASSERT_EQ(second[0].status, Reading::Status::kOk);
  const double joules = static_cast<double>(second[0].raw - first[0].raw) * 1e-6;
  EXPECT_GE(joules, 300.0 * (t2 - t1) - 2e-6);
  EXPECT_LE(joules, 300.0 * (t3 - t0) + 2e-6);
}

TEST(LevelZeroSensor, OldLoaderInsideAProgramStartedWithSysmanEnabledIsRead) {
  const auto fake = machine(kOneMax1100);
  ::setenv("ZES_ENABLE_SYSMAN", "1", 1);
  const auto outcome = probe_legacy(false);
  EXPECT_STREQ(std::getenv("ZES_ENABLE_SYSMAN"), "1");  // the program's own setting stays
  ::unsetenv("ZES_ENABLE_SYSMAN");
  ASSERT_EQ(outcome.sensors.size(), 1u);
  EXPECT_EQ(outcome.sensors[0]->channels().size(), 1u);
}
