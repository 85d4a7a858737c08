// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "sensors/backends.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

using test::all_channels;

const ChannelInfo* find(const std::vector<ChannelInfo>& channels, const std::string& id) {
  return test::find_channel(channels, id);
}

const ProbeReport* find_report(const ProbeOutcome& outcome, ProbeReport::Status status) {
  for (const auto& r : outcome.reports) {
    if (r.status == status) return &r;
  }
  return nullptr;
}

TEST(Powercap, IntelTwoSocketServer) {
  test::TempTree tree("sysfs/intel-2s");
  const auto outcome = probe_powercap({.sysfs_root = tree.path()});
  const auto channels = all_channels(outcome);
  ASSERT_EQ(channels.size(), 6u);

  const auto* pkg0 = find(channels, "powercap/intel-rapl:0");
  ASSERT_NE(pkg0, nullptr);
  EXPECT_EQ(pkg0->domain, Domain::kPackage);
  EXPECT_EQ(pkg0->identity.index, 0);
  EXPECT_EQ(pkg0->identity.kind, HardwareKind::kCpu);
  EXPECT_EQ(pkg0->device, "package-0");
  EXPECT_EQ(pkg0->quantity, Quantity::kEnergyCounter);
  EXPECT_EQ(pkg0->wrap_modulus, 262143328850ull + 1);
  EXPECT_DOUBLE_EQ(pkg0->scale, 1e-6);
  EXPECT_EQ(pkg0->contains, (std::vector<std::string>{"powercap/intel-rapl:0:0"}));

  const auto* dram1 = find(channels, "powercap/intel-rapl:1:1");
  ASSERT_NE(dram1, nullptr);
  EXPECT_EQ(dram1->domain, Domain::kDram);
  EXPECT_EQ(dram1->identity.index, 1);
  EXPECT_EQ(dram1->identity.kind, HardwareKind::kMemory);
  EXPECT_EQ(dram1->device, "package-1 dram");

  const auto* core1 = find(channels, "powercap/intel-rapl:1:0");
  ASSERT_NE(core1, nullptr);
  EXPECT_EQ(core1->domain, Domain::kCore);

  // The MMIO copy of package-0 must not be read: it would count the package twice.
  for (const auto& c : channels) EXPECT_EQ(c.id.find("mmio"), std::string::npos) << c.id;
  const auto* skipped = find_report(outcome, ProbeReport::Status::kNotUsed);
  ASSERT_NE(skipped, nullptr);
  EXPECT_NE(skipped->detail.find("intel-rapl-mmio:0"), std::string::npos);
}

TEST(Powercap, AmdEpycHasNoDramAndFlagsTheLeadCoreZone) {
  test::TempTree tree("sysfs/amd-epyc");
  const auto channels = all_channels(probe_powercap({.sysfs_root = tree.path()}));
  ASSERT_EQ(channels.size(), 4u);
  for (const auto& c : channels) EXPECT_NE(c.domain, Domain::kDram);
  const auto* core = find(channels, "powercap/intel-rapl:0:0");
  ASSERT_NE(core, nullptr);
  EXPECT_NE(core->note.find("lead core"), std::string::npos);
  EXPECT_EQ(find(channels, "powercap/intel-rapl:1")->identity.index, 1);
}

TEST(Powercap, LaptopPsysContainsPackageAndDram) {
  test::TempTree tree("sysfs/laptop-psys");
  const auto channels = all_channels(probe_powercap({.sysfs_root = tree.path()}));
  const auto* psys = find(channels, "powercap/intel-rapl:1");
  ASSERT_NE(psys, nullptr);
  EXPECT_EQ(psys->domain, Domain::kPsys);
  EXPECT_EQ(psys->contains,
            (std::vector<std::string>{"powercap/intel-rapl:0", "powercap/intel-rapl:0:2"}));
  const auto* pkg = find(channels, "powercap/intel-rapl:0");
  ASSERT_NE(pkg, nullptr);
  EXPECT_EQ(pkg->contains,
            (std::vector<std::string>{"powercap/intel-rapl:0:0", "powercap/intel-rapl:0:1"}));
  EXPECT_EQ(find(channels, "powercap/intel-rapl:0:1")->domain, Domain::kUncore);
}

// Issue 10 item 3: Sapphire Rapids' psys moves in whole joules inside a microjoule file.
TEST(Powercap, SapphireRapidsPsysHasItsOneJouleStep) {
  test::TempTree tree("sysfs/spr-2s-psys");
  const auto channels = all_channels(probe_powercap({.sysfs_root = tree.path()}));
  ASSERT_EQ(channels.size(), 5u);
  const auto* psys = find(channels, "powercap/intel-rapl:2");
  ASSERT_NE(psys, nullptr);
  EXPECT_EQ(psys->domain, Domain::kPsys);
  EXPECT_DOUBLE_EQ(psys->scale, 1e-6);
  EXPECT_DOUBLE_EQ(psys->resolution, 1.0);
  EXPECT_EQ(psys->wrap_modulus, 4294967295000000ull + 1);
  EXPECT_EQ(psys->contains,
            (std::vector<std::string>{"powercap/intel-rapl:0", "powercap/intel-rapl:0:0",
                                      "powercap/intel-rapl:1", "powercap/intel-rapl:1:0"}));
  const auto* pkg = find(channels, "powercap/intel-rapl:0");
  ASSERT_NE(pkg, nullptr);
  EXPECT_EQ(pkg->resolution, 0.0);
  // A Cascade Lake psys has no such step.
  test::TempTree laptop("sysfs/laptop-psys");
  const auto other = all_channels(probe_powercap({.sysfs_root = laptop.path()}));
  const auto* fine = find(other, "powercap/intel-rapl:1");
  ASSERT_NE(fine, nullptr);
  EXPECT_EQ(fine->resolution, 0.0);
}

TEST(Powercap, ZoneSuffixesAreHexadecimalAndNamelessZonesAreReported) {
  test::TempTree tree("sysfs/hex-zones");
  const auto outcome = probe_powercap({.sysfs_root = tree.path()});
  const auto channels = all_channels(outcome);
  const auto* dram = find(channels, "powercap/intel-rapl:0:a");
  ASSERT_NE(dram, nullptr);
  EXPECT_EQ(dram->domain, Domain::kDram);  // from the name file, never from the number
  const auto* core = find(channels, "powercap/intel-rapl:0:10");
  ASSERT_NE(core, nullptr);
  EXPECT_EQ(core->domain, Domain::kCore);
  EXPECT_EQ(find(channels, "powercap/intel-rapl:0:b"), nullptr);
  const auto* error = find_report(outcome, ProbeReport::Status::kError);
  ASSERT_NE(error, nullptr);
  EXPECT_NE(error->detail.find("intel-rapl:0:b"), std::string::npos);
}

TEST(Powercap, AbsentOnAMachineWithoutRapl) {
  test::TempTree tree("sysfs/no-sensors");
  const auto outcome = probe_powercap({.sysfs_root = tree.path()});
  EXPECT_TRUE(outcome.sensors.empty());
  ASSERT_EQ(outcome.reports.size(), 1u);
  EXPECT_EQ(outcome.reports[0].status, ProbeReport::Status::kAbsent);
}

TEST(Powercap, ReadsTheCountersAsTheyChange) {
  test::TempTree tree("sysfs/intel-2s");
  auto outcome = probe_powercap({.sysfs_root = tree.path()});
  ASSERT_EQ(outcome.sensors.size(), 1u);
  auto& sensor = *outcome.sensors[0];
  std::vector<Reading> readings(sensor.channels().size());
  sensor.read(readings);
  for (const auto& r : readings) EXPECT_EQ(r.status, Reading::Status::kOk);
  // Rewrite package-0 in place, as the kernel would show a new value.
  {
    FILE* f = std::fopen((tree / "class/powercap/intel-rapl:0/energy_uj").c_str(), "r+");
    ASSERT_NE(f, nullptr);
    std::fputs("99999999999\n", f);
    std::fclose(f);
  }
  sensor.read(readings);
  EXPECT_EQ(readings[0].raw, 99999999999u);
  EXPECT_GT(readings[0].t_ns, 0);
}

TEST(Powercap, GarbageValueBecomesASkippedReading) {
  test::TempTree tree("sysfs/intel-2s");
  auto outcome = probe_powercap({.sysfs_root = tree.path()});
  auto& sensor = *outcome.sensors[0];
  std::vector<Reading> readings(sensor.channels().size());
  test::write_file(tree / "class/powercap/intel-rapl:0/energy_uj", "");
  sensor.read(readings);
  EXPECT_EQ(readings[0].status, Reading::Status::kSkipped);
}

// Issue 10 item 12: a package zone unreadable when the zones were found used to be dropped for
// the whole run, its core subzone counted in its place.
TEST(Powercap, ZoneUnreadableAtDiscoveryIsKeptAndReadOnceItRecovers) {
  test::TempTree tree("sysfs/intel-2s");
  const auto energy = tree / "class/powercap/intel-rapl:0/energy_uj";
  test::write_file(energy, "");
  auto outcome = probe_powercap({.sysfs_root = tree.path()});
  ASSERT_EQ(outcome.sensors.size(), 1u);
  auto& sensor = *outcome.sensors[0];
  const auto channels = all_channels(outcome);
  const auto* pkg0 = find(channels, "powercap/intel-rapl:0");
  ASSERT_NE(pkg0, nullptr);
  EXPECT_EQ(pkg0->contains, (std::vector<std::string>{"powercap/intel-rapl:0:0"}));
  const auto* said = find_report(outcome, ProbeReport::Status::kError);
  ASSERT_NE(said, nullptr);
  EXPECT_NE(said->detail.find("intel-rapl:0 (package-0): energy_uj is not a number when the "
                              "zones were found; kept and read again"),
            std::string::npos)
      << said->detail;
  std::vector<Reading> readings(sensor.channels().size());
  sensor.read(readings);
  EXPECT_EQ(readings[0].status, Reading::Status::kSkipped);
  test::write_file(energy, "123456\n");
  sensor.read(readings);
  EXPECT_EQ(readings[0].status, Reading::Status::kOk);
  EXPECT_EQ(readings[0].raw, 123456u);
}

TEST(Powercap, ZoneThatCannotBeOpenedAtDiscoveryIsFollowedByItsPath) {
  test::TempTree tree("sysfs/intel-2s");
  const auto energy = tree / "class/powercap/intel-rapl:1/energy_uj";
  std::filesystem::remove(energy);
  std::filesystem::create_directory(energy);  // exists, but open(O_RDONLY) + read fail
  auto outcome = probe_powercap({.sysfs_root = tree.path()});
  ASSERT_EQ(outcome.sensors.size(), 1u);
  auto& sensor = *outcome.sensors[0];
  const auto channels = all_channels(outcome);
  const auto it = std::find_if(channels.begin(), channels.end(), [](const ChannelInfo& c) {
    return c.id == "powercap/intel-rapl:1";
  });
  ASSERT_NE(it, channels.end());
  const auto index = static_cast<std::size_t>(it - channels.begin());
  std::vector<Reading> readings(sensor.channels().size());
  sensor.read(readings);
  EXPECT_NE(readings[index].status, Reading::Status::kOk);
  std::filesystem::remove(energy);
  test::write_file(energy, "777\n");
  sensor.read(readings);
  EXPECT_EQ(readings[index].status, Reading::Status::kOk);
  EXPECT_EQ(readings[index].raw, 777u);
}

// Root reads a chmod-000 file anyway, so the permission check runs the probe as "nobody".
TEST(Powercap, PermissionDeniedGivesTheHint) {
  test::TempTree tree("sysfs/intel-2s");
  tree.make_world_readable();
  for (const char* zone : {"intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1", "intel-rapl:1",
                           "intel-rapl:1:0", "intel-rapl:1:1"}) {
    ::chmod((tree / (std::string("class/powercap/") + zone + "/energy_uj")).c_str(), 0);
  }
  if (::geteuid() != 0) {
    const auto outcome = probe_powercap({.sysfs_root = tree.path()});
    const auto* denied = find_report(outcome, ProbeReport::Status::kPermissionDenied);
    ASSERT_NE(denied, nullptr);
    EXPECT_NE(denied->hint.find("root"), std::string::npos);
    return;
  }
  const auto result = test::run_process(
      {test::jouletrace_binary(), "sensors", "--sysfs-root", tree.path().string(), "--dev-root",
       (tree / "no-dev").string(), "--nvml-library", "/nonexistent/libnvidia-ml.so.1"},
      {.run_as_uid = 65534});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("permission denied"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("CVE-2020-8694"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace jt
