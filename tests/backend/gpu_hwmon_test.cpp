// SPDX-License-Identifier: BSD-3-Clause
// amdgpu and xe hwmon beside the vendor libraries: which file was used, the GPU's PCI address, and
// the hwmon device left out when ROCm SMI or Level Zero already reads the same GPU.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "sensors/backends.hpp"
#include "sensors/registry.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

using test::all_channels;

const ChannelInfo* find_id(const std::vector<ChannelInfo>& channels, const std::string& id) {
  const auto it = std::ranges::find_if(channels, [&](const ChannelInfo& c) { return c.id == id; });
  return it == channels.end() ? nullptr : &*it;
}

TEST(GpuHwmon, AmdgpuAveragePowerSaysItsFileAndPciAddress) {
  test::TempTree tree("sysfs/amd-mi210");
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
  const auto* gpu = find_id(channels, "hwmon/amdgpu/power1");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->domain, Domain::kGpu);
  EXPECT_EQ(gpu->quantity, Quantity::kAveragePower);
  EXPECT_EQ(gpu->identity.vendor, Vendor::kAmd);
  EXPECT_EQ(gpu->identity.bus_id, "0000:c1:00.0");
  EXPECT_TRUE(gpu->provenance.ends_with("power1_average")) << gpu->provenance;
}

TEST(GpuHwmon, AmdgpuInstantPowerWhereTheDriverHasNoAverage) {
  test::TempTree tree("sysfs/amd-mi210");
  const auto dir = tree / "class/hwmon/hwmon0";
  std::filesystem::remove(dir / "power1_average");
  test::write_file(dir / "power1_input", "91000000\n");
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
  const auto* gpu = find_id(channels, "hwmon/amdgpu/power1");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->quantity, Quantity::kInstantPower);
  EXPECT_TRUE(gpu->provenance.ends_with("power1_input")) << gpu->provenance;
}

TEST(GpuHwmon, AmdgpuEnergyCounterIsPreferredWhereTheDriverHasIt) {
  test::TempTree tree("sysfs/amd-mi210");
  test::write_file(tree / "class/hwmon/hwmon0/energy1_input", "123456789\n");
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
  const auto* gpu = find_id(channels, "hwmon/amdgpu/energy1");
  ASSERT_NE(gpu, nullptr);
  EXPECT_EQ(gpu->quantity, Quantity::kEnergyCounter);
  EXPECT_EQ(find_id(channels, "hwmon/amdgpu/power1"), nullptr);
}

TEST(GpuHwmon, AmdgpuThatRocmSmiReadsIsNotCountedTwice) {
  test::TempTree tree("sysfs/amd-mi210");
  ProbeContext context{.sysfs_root = tree.path()};
  ChannelInfo rocm;
  rocm.id = "rocm_smi/GPU-00000000001a2b3c";
  rocm.domain = Domain::kGpu;
  rocm.identity.vendor = Vendor::kAmd;
  rocm.identity.kind = HardwareKind::kGpu;
  rocm.identity.bus_id = "0000:c1:00.0";
  context.earlier_channels.push_back(rocm);
  const auto outcome = probe_hwmon(context);
  EXPECT_TRUE(all_channels(outcome).empty());
  const auto note = std::ranges::find_if(outcome.reports, [](const ProbeReport& r) {
    return r.status == ProbeReport::Status::kNotUsed;
  });
  ASSERT_NE(note, outcome.reports.end());
  EXPECT_NE(note->detail.find("rocm_smi/GPU-00000000001a2b3c"), std::string::npos) << note->detail;
}

TEST(GpuHwmon, AnotherGpuOfTheNodeIsStillRead) {
  test::TempTree tree("sysfs/amd-mi210");
  ProbeContext context{.sysfs_root = tree.path()};
  ChannelInfo rocm;
  rocm.id = "rocm_smi/GPU-1";
  rocm.domain = Domain::kGpu;
  rocm.identity.kind = HardwareKind::kGpu;
  rocm.identity.bus_id = "0000:c2:00.0";
  context.earlier_channels.push_back(rocm);
  EXPECT_EQ(all_channels(probe_hwmon(context)).size(), 1u);
}

}  // namespace
}  // namespace jt

namespace jt {
namespace {

// The whole backend table on a node with one MI210: ROCm SMI reads it, hwmon leaves its amdgpu
// device out, and the one GPU is counted once.
TEST(GpuRegistry, RocmSmiSupersedesTheSameGpusHwmon) {
  test::TempTree tree("sysfs/amd-mi210");
  const auto config = tree / "rocm.conf";
  test::write_file(config, "gpu name=AMD_Instinct_MI210 unique_id=1a2b3c pci=0000:c1:00.0\n");
  ::setenv("JT_FAKE_ROCM_SMI_CONFIG", config.c_str(), 1);
  ProbeContext context{.sysfs_root = tree.path()};
  context.dev_root = tree / "dev";
  context.nvml_library = "/nonexistent/libnvidia-ml.so.1";
  context.rocm_smi_library = JT_FAKE_ROCM_SMI;
  context.level_zero_library = "/nonexistent/libze_loader.so.1";
  context.use_agent = false;
  const auto outcome = probe_all(context, local_backends());
  ::unsetenv("JT_FAKE_ROCM_SMI_CONFIG");
  int gpus = 0;
  for (const auto& channel : all_channels(outcome)) {
    if (channel.domain == Domain::kGpu) {
      ++gpus;
      EXPECT_EQ(channel.id, "rocm_smi/GPU-00000000001a2b3c");
    }
  }
  EXPECT_EQ(gpus, 1);
}

}  // namespace
}  // namespace jt

namespace jt {
namespace {

// An xe card Level Zero reads: its hwmon card and package counters are the same GPU again.
TEST(GpuHwmon, XeCardThatLevelZeroReadsIsNotCountedTwice) {
  test::TempTree tree("sysfs/intel-xe-bmg");
  ProbeContext context{.sysfs_root = tree.path()};
  ChannelInfo ze;
  ze.id = "level_zero/8680e20b/device";
  ze.domain = Domain::kGpu;
  ze.identity.vendor = Vendor::kIntel;
  ze.identity.kind = HardwareKind::kGpu;
  ze.identity.bus_id = "0000:03:00.0";
  context.earlier_channels.push_back(ze);
  EXPECT_TRUE(all_channels(probe_hwmon(context)).empty());
  // Without Level Zero, both xe counters are read, the card holding the package.
  const auto channels = all_channels(probe_hwmon({.sysfs_root = tree.path()}));
  ASSERT_EQ(channels.size(), 2u);
  EXPECT_EQ(channels[0].identity.bus_id, "0000:03:00.0");
}

}  // namespace
}  // namespace jt
