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

TEST(Hwmon, AttributeUnreadableAtDiscoveryIsKeptAndReadOnceItRecovers) {
  test::TempTree tree("sysfs/intel-2s");
  const auto average = tree / "class/hwmon/hwmon0/power1_average";
  ASSERT_TRUE(std::filesystem::exists(average));
  test::write_file(average, "busy\n");
  auto outcome = probe_hwmon({.sysfs_root = tree.path()});
  ASSERT_EQ(outcome.sensors.size(), 1u);
  ASSERT_EQ(outcome.sensors[0]->channels().size(), 1u);
  EXPECT_TRUE(std::any_of(outcome.reports.begin(), outcome.reports.end(), [](const auto& r) {
    return r.status == ProbeReport::Status::kError &&
           r.detail.find("power1_average: not a number when the devices were found; kept") !=
               std::string::npos;
  }));
  std::vector<Reading> readings(1);
  outcome.sensors[0]->read(readings);
  EXPECT_EQ(readings[0].status, Reading::Status::kSkipped);
  test::write_file(average, "245000000\n");
  outcome.sensors[0]->read(readings);
  EXPECT_EQ(readings[0].status, Reading::Status::kOk);
  EXPECT_EQ(readings[0].raw, 245000000u);
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

// Kernels that keep every attribute, `name` included, in the device directory `hwmonN/device`
// (the ACPI power meter before its conversion): the meter is still found.
TEST(Hwmon, OldApiAttributesInTheDeviceDirectoryAreFound) {
  test::TempTree tree("sysfs/power-meter-old-api");
  const auto outcome = probe_hwmon({.sysfs_root = tree.path()});
  const auto channels = all_channels(outcome);
  ASSERT_EQ(channels.size(), 1u);
  EXPECT_EQ(channels[0].id, "hwmon/power_meter/power1");
  EXPECT_EQ(channels[0].domain, Domain::kNode);
  EXPECT_DOUBLE_EQ(channels[0].update_period_s, 1.0);
  EXPECT_NE(channels[0].provenance.find("hwmon0/device/power1_average"), std::string::npos);
  std::vector<Reading> readings(1);
  outcome.sensors.at(0)->read(readings);
  EXPECT_EQ(readings[0].status, Reading::Status::kOk);
  EXPECT_EQ(readings[0].raw, 265000000u);  // 265 W in uW
}

// amd_energy and zenergy number the cores first and the sockets after them; each socket's
// channel carries its socket's index, and the cores inside them are not counted again.
TEST(Hwmon, AmdEnergyAndZenergySocketsHaveTheirIndex) {
  for (const char* driver : {"amd_energy", "zenergy"}) {
    SCOPED_TRACE(driver);
    test::TempTree tree("sysfs/amd-energy-2s");
    test::write_file(tree / "class/hwmon/hwmon0/name", std::string(driver) + "\n");
    const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
    ASSERT_EQ(channels.size(), 2u);
    for (int s = 0; s < 2; ++s) {
      EXPECT_EQ(channels[static_cast<std::size_t>(s)].domain, Domain::kPackage);
      EXPECT_EQ(channels[static_cast<std::size_t>(s)].index, s);
      EXPECT_NE(channels[static_cast<std::size_t>(s)].device.find("Esocket" + std::to_string(s)),
                std::string::npos);
    }
    EXPECT_TRUE(probe_hwmon({.sysfs_root = tree.path(), .rapl_found = true}).sensors.empty());
  }
}

}  // namespace
}  // namespace jt
