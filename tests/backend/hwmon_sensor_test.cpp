#include <gtest/gtest.h>

#include <algorithm>

#include "sensors/backends.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

using test::all_channels;

TEST(Hwmon, AcpiPowerMeterIsANodeChannelWithItsAveragingInterval) {
  test::TempTree tree("sysfs/intel-2s");
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
  ASSERT_EQ(channels.size(), 1u);  // coretemp has no power or energy
  const auto& meter = channels[0];
  EXPECT_EQ(meter.id, "hwmon/power_meter/power1");
  EXPECT_EQ(meter.domain, Domain::kNode);
  EXPECT_EQ(meter.quantity, Quantity::kAveragePower);
  EXPECT_DOUBLE_EQ(meter.update_period_s, 1.0);
  EXPECT_DOUBLE_EQ(meter.scale, 1e-6);
}

TEST(Hwmon, EnergyCounterIsPreferredToPowerOfTheSameDevice) {
  test::TempTree tree("sysfs/hwmon-energy");
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
  ASSERT_EQ(channels.size(), 2u);
  const auto pmbus = std::find_if(channels.begin(), channels.end(), [](const ChannelInfo& c) {
    return c.id.rfind("hwmon/acme_pmbus/", 0) == 0;
  });
  ASSERT_NE(pmbus, channels.end());
  EXPECT_EQ(pmbus->id, "hwmon/acme_pmbus/energy1");
  EXPECT_EQ(pmbus->quantity, Quantity::kEnergyCounter);
  EXPECT_EQ(pmbus->domain, Domain::kOther);
  EXPECT_NE(pmbus->device.find("Esystem"), std::string::npos);
  EXPECT_FALSE(pmbus->note.empty());  // unknown overlap is said, not assumed
}

TEST(Hwmon, AbsentWithoutHwmonClass) {
  test::TempTree tree("sysfs/no-sensors");
  const auto outcome = probe_hwmon({.sysfs_root = tree.path()});
  EXPECT_TRUE(outcome.sensors.empty());
  EXPECT_EQ(outcome.reports.at(0).status, ProbeReport::Status::kAbsent);
}

TEST(Hwmon, AmdEnergyDuplicatesAreDroppedWhenRaplWasFound) {
  test::TempTree tree("sysfs/no-sensors");
  test::write_file(tree / "class/hwmon/hwmon0/name", "amd_energy\n");
  test::write_file(tree / "class/hwmon/hwmon0/energy1_input", "1000\n");
  test::write_file(tree / "class/hwmon/hwmon0/energy1_label", "Esocket0\n");
  test::write_file(tree / "class/hwmon/hwmon0/energy2_input", "400\n");
  test::write_file(tree / "class/hwmon/hwmon0/energy2_label", "Ecore000\n");
  EXPECT_TRUE(probe_hwmon({.sysfs_root = tree.path(), .rapl_found = true}).sensors.empty());
  // Without RAPL the socket counter is read, and the per-core one, which is inside it, is not.
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path(), .rapl_found = false}));
  ASSERT_EQ(channels.size(), 1u);
  EXPECT_EQ(channels[0].domain, Domain::kPackage);
  EXPECT_NE(channels[0].device.find("Esocket0"), std::string::npos);
}

}  // namespace
}  // namespace jt
