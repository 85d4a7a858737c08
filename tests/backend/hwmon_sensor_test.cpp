// SPDX-License-Identifier: BSD-3-Clause
#include <fmt/format.h>
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
      EXPECT_EQ(channels[static_cast<std::size_t>(s)].identity.index, s);
      EXPECT_NE(channels[static_cast<std::size_t>(s)].device.find("Esocket" + std::to_string(s)),
                std::string::npos);
    }
    EXPECT_TRUE(probe_hwmon({.sysfs_root = tree.path(), .rapl_found = true}).sensors.empty());
  }
}

// Issue 10 item 1: Grace Hopper nodes expose one ACPI power meter per rail and socket, told
// apart by power1_oem_info; each used to be a "node" and the first enumerated (a CPU rail) won.
ChannelInfo nvml_gpu(const std::string& uuid, int index, const std::string& pci) {
  ChannelInfo gpu;
  gpu.id = "nvml/" + uuid;
  gpu.domain = Domain::kGpu;
  gpu.device = "NVIDIA GH200 480GB";
  gpu.identity = identity_of(Domain::kGpu, index, Vendor::kNvidia);
  gpu.identity.bus_id = pci;
  return gpu;
}

const ChannelInfo* find_id(const std::vector<ChannelInfo>& channels, const std::string& id) {
  return test::find_channel(channels, id);
}

TEST(HwmonLayout, GraceHopperRailsAreModelledPerSocket) {
  test::TempTree tree("sysfs/grace-hopper-4s");
  ProbeContext context{.sysfs_root = tree.path()};
  for (int s = 0; s < 4; ++s) {
    // NVML's order deliberately differs from the sockets': the PCI NUMA node decides.
    const int socket = 3 - s;
    context.earlier_channels.push_back(
        nvml_gpu("GPU-" + std::to_string(socket), s, fmt::format("00{}9:01:00.0", socket)));
  }
  const auto outcome = probe_hwmon(context);
  const auto channels = all_channels(outcome);
  ASSERT_EQ(channels.size(), 16u);
  for (const auto& c : channels) EXPECT_NE(c.domain, Domain::kNode) << c.id;
  for (int s = 0; s < 4; ++s) {
    const std::string base = fmt::format("hwmon/grace{}/{{}}", s);
    const auto* module = find_id(channels, fmt::format(fmt::runtime(base), "module"));
    const auto* grace = find_id(channels, fmt::format(fmt::runtime(base), "grace"));
    const auto* cpu = find_id(channels, fmt::format(fmt::runtime(base), "cpu"));
    const auto* sysio = find_id(channels, fmt::format(fmt::runtime(base), "sysio"));
    ASSERT_TRUE(module && grace && cpu && sysio) << s;
    EXPECT_EQ(module->domain, Domain::kModule);
    EXPECT_EQ(module->identity.index, s);
    EXPECT_EQ(grace->domain, Domain::kPsys);
    EXPECT_EQ(cpu->domain, Domain::kCore);
    EXPECT_EQ(sysio->domain, Domain::kUncore);
    EXPECT_EQ(module->contains,
              (std::vector<std::string>{grace->id, "nvml/GPU-" + std::to_string(s)}));
    EXPECT_EQ(grace->contains, (std::vector<std::string>{cpu->id, sysio->id}));
    EXPECT_EQ(grace->device, fmt::format("Grace {} (CPU, SysIO, memory)", s));
    EXPECT_EQ(module->quantity, Quantity::kAveragePower);
    EXPECT_DOUBLE_EQ(module->update_period_s, 1.0);
  }
}

TEST(HwmonLayout, GpuWithoutAPciSocketIsPlacedByOrderAndSaidSo) {
  test::TempTree tree("sysfs/grace-hopper-4s");
  ProbeContext context{.sysfs_root = tree.path()};
  for (int s = 0; s < 4; ++s)
    context.earlier_channels.push_back(nvml_gpu("GPU-" + std::to_string(s), s, ""));
  const auto outcome = probe_hwmon(context);
  const auto channels = all_channels(outcome);
  const auto* module2 = find_id(channels, "hwmon/grace2/module");
  ASSERT_NE(module2, nullptr);
  EXPECT_EQ(module2->contains.back(), "nvml/GPU-2");
  EXPECT_TRUE(std::any_of(outcome.reports.begin(), outcome.reports.end(), [](const auto& r) {
    return r.detail ==
           "nvml/GPU-2: its socket is not known from PCI; taken to be on socket 2 by "
           "its order";
  }));
}

TEST(HwmonLayout, GraceSuperchipHasNoModuleAndEachSocketHoldsItsRails) {
  test::TempTree tree("sysfs/grace-superchip");
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
  ASSERT_EQ(channels.size(), 6u);
  const auto* grace1 = find_id(channels, "hwmon/grace1/grace");
  ASSERT_NE(grace1, nullptr);
  EXPECT_EQ(grace1->domain, Domain::kPsys);
  EXPECT_EQ(grace1->identity.index, 1);
  EXPECT_EQ(grace1->contains, (std::vector<std::string>{"hwmon/grace1/cpu", "hwmon/grace1/sysio"}));
}

// Issue 10 item 4: on an APU amdgpu's power is the whole chip's; added to the RAPL package it
// counted the CPU twice.
TEST(HwmonLayout, ApuPowerContainsTheCpuPackageAndADiscreteGpuStaysAGpu) {
  test::TempTree tree("sysfs/amd-apu");
  ProbeContext context{.sysfs_root = tree.path()};
  context.earlier_channels = all_channels(probe_powercap(context));
  context.rapl_found = true;
  const auto channels = all_channels(probe_hwmon(context));
  ASSERT_EQ(channels.size(), 2u);
  const auto* apu = find_id(channels, "hwmon/amdgpu/power1");
  ASSERT_NE(apu, nullptr);
  EXPECT_EQ(apu->domain, Domain::kModule);
  EXPECT_EQ(apu->quantity, Quantity::kInstantPower);
  EXPECT_EQ(apu->contains, (std::vector<std::string>{"powercap/intel-rapl:0"}));
  EXPECT_NE(apu->device.find("APU"), std::string::npos) << apu->device;
  const auto* dgpu = find_id(channels, "hwmon/amdgpu.1/power1");
  ASSERT_NE(dgpu, nullptr);
  EXPECT_EQ(dgpu->domain, Domain::kGpu);
  EXPECT_TRUE(dgpu->contains.empty());
}

TEST(HwmonLayout, VanGoghSlowAndFastPptAreOnePowerReadOnce) {
  test::TempTree tree("sysfs/amd-apu");
  const auto dir = tree / "class/hwmon/hwmon0";
  std::filesystem::remove(dir / "in1_label");
  test::write_file(dir / "power1_label", "slowPPT\n");
  test::write_file(dir / "power2_input", "78000000\n");
  test::write_file(dir / "power2_label", "fastPPT\n");
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
  const auto* apu = find_id(channels, "hwmon/amdgpu/power1");
  ASSERT_NE(apu, nullptr);
  EXPECT_EQ(apu->domain, Domain::kModule);
  EXPECT_EQ(find_id(channels, "hwmon/amdgpu/power2"), nullptr);
}

// Issue 10 item 5: an Intel xe card's energy holds its package's; both were GPUs of their own.
TEST(HwmonLayout, XeCardContainsItsPackage) {
  test::TempTree tree("sysfs/intel-xe-bmg");
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
  ASSERT_EQ(channels.size(), 2u);
  const auto* card = find_id(channels, "hwmon/xe/energy1");
  const auto* pkg = find_id(channels, "hwmon/xe/energy2");
  ASSERT_TRUE(card && pkg);
  EXPECT_EQ(card->domain, Domain::kGpu);
  EXPECT_EQ(card->contains, (std::vector<std::string>{pkg->id}));
  EXPECT_EQ(pkg->device, "xe pkg");
  EXPECT_EQ(pkg->identity.index, card->identity.index);
}

// Each vendor numbers its own GPUs: a workstation with a Radeon card listed first and an Arc
// card after it has AMD GPU 0 and Intel GPU 0, not GPUs 0 and 1 (the xe card's tools call it 0).
TEST(HwmonLayout, GpuOrdinalsAreCountedPerVendor) {
  test::TempTree tree("sysfs/amd-apu");
  const auto xe = test::fixture_dir("sysfs/intel-xe-bmg") / "class/hwmon/hwmon0";
  std::filesystem::copy(xe, tree / "class/hwmon/hwmon7", std::filesystem::copy_options::recursive);
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
  const auto* radeon = find_id(channels, "hwmon/amdgpu.1/power1");
  const auto* arc = find_id(channels, "hwmon/xe/energy1");
  ASSERT_TRUE(radeon && arc);
  EXPECT_EQ(radeon->identity.vendor, Vendor::kAmd);
  EXPECT_EQ(arc->identity.vendor, Vendor::kIntel);
  EXPECT_EQ(radeon->identity.index, 0);
  EXPECT_EQ(arc->identity.index, 0);
}

}  // namespace
}  // namespace jt
