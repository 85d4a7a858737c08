// SPDX-License-Identifier: BSD-3-Clause
// What the node is made of, read from fixture /proc and /sys trees and from probed channels.
#include "sensors/node_inventory.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace jt {
namespace {

ProbeContext fixture_context(const std::string& name) {
  ProbeContext context;
  context.sysfs_root = test::fixture_dir("sysfs/" + name);
  context.proc_root = test::fixture_dir("proc/" + name);
  return context;
}

ChannelInfo gpu_channel(int index, const std::string& uuid, const std::string& name,
                        double limit_w) {
  ChannelInfo c;
  c.id = "nvml/" + uuid;
  c.domain = Domain::kGpu;
  c.device = name;
  // As the NVML backend fills it: the UUID where the driver gave one, the limit where it did.
  c.identity = identity_of(Domain::kGpu, index, Vendor::kNvidia);
  if (uuid.starts_with("GPU-")) c.identity.uuid = uuid;
  if (limit_w > 0.0) c.identity.rated_power_w = limit_w;
  c.max_power_w = limit_w;
  c.provenance = "NVML fake, index " + std::to_string(index);
  return c;
}

TEST(NodeInventory, ReadsCpuTopologyMemoryAndHostFromFixtures) {
  const NodeInventory inv = read_node_inventory(fixture_context("intel-2s"), {});
  ASSERT_TRUE(inv.cpu_model.value) << inv.cpu_model.unknown_reason;
  EXPECT_EQ(*inv.cpu_model.value, "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz");
  EXPECT_EQ(inv.sockets.value, 2);
  EXPECT_EQ(inv.cores.value, 8);
  EXPECT_EQ(inv.threads.value, 8);
  EXPECT_EQ(inv.memory_bytes.value, std::uint64_t{394883072} * 1024);
  EXPECT_EQ(inv.hostname.value, "fixture-intel-2s");
  EXPECT_TRUE(inv.gpus.empty());
  EXPECT_TRUE(inv.notes.empty());
}

TEST(NodeInventory, HyperThreadSiblingsAreOneCore) {
  test::TempTree tree("sysfs/intel-2s");
  // cpu4..7 become the second threads of cpu0..3 on package 0.
  for (int cpu = 4; cpu < 8; ++cpu) {
    const auto topo = tree / ("devices/system/cpu/cpu" + std::to_string(cpu) + "/topology");
    test::write_file(topo / "physical_package_id", "0\n");
    test::write_file(topo / "core_id", std::to_string(cpu - 4) + "\n");
  }
  ProbeContext context = fixture_context("intel-2s");
  context.sysfs_root = tree.path();
  const NodeInventory inv = read_node_inventory(context, {});
  EXPECT_EQ(inv.sockets.value, 1);
  EXPECT_EQ(inv.cores.value, 4);
  EXPECT_EQ(inv.threads.value, 8);
}

TEST(NodeInventory, UnreadableFactsAreUnknownWithAReasonNotZero) {
  test::TempTree proc;
  test::TempTree sys;
  test::write_file(proc / "cpuinfo", "processor\t: 0\nBogoMIPS\t: 50.00\n");  // arm64 style
  test::write_file(proc / "meminfo", "MemTotal:       lots kB\n");
  ProbeContext context;
  context.proc_root = proc.path();
  context.sysfs_root = sys.path();
  const NodeInventory inv = read_node_inventory(context, {});
  EXPECT_FALSE(inv.cpu_model.value);
  EXPECT_NE(inv.cpu_model.unknown_reason.find("model name"), std::string::npos);
  EXPECT_FALSE(inv.memory_bytes.value);
  EXPECT_NE(inv.memory_bytes.unknown_reason.find("MemTotal"), std::string::npos);
  EXPECT_FALSE(inv.sockets.value);
  EXPECT_FALSE(inv.cores.value);
  EXPECT_FALSE(inv.threads.value);
  EXPECT_FALSE(inv.sockets.unknown_reason.empty());
  // No hostname file in the fake /proc: gethostname() answers instead.
  EXPECT_TRUE(inv.hostname.value);
}

TEST(NodeInventory, MissingProcFilesNameThePath) {
  test::TempTree proc;
  ProbeContext context = fixture_context("intel-2s");
  context.proc_root = proc.path();
  const NodeInventory inv = read_node_inventory(context, {});
  EXPECT_FALSE(inv.cpu_model.value);
  EXPECT_NE(inv.cpu_model.unknown_reason.find("cpuinfo"), std::string::npos);
  EXPECT_NE(inv.memory_bytes.unknown_reason.find("meminfo"), std::string::npos);
  EXPECT_EQ(inv.sockets.value, 2);  // sysfs still answers
}

TEST(NodeInventory, GpusAndNodeMetersComeFromTheChannels) {
  ChannelInfo meter;
  meter.id = "hwmon/hwmon0/power1";
  meter.domain = Domain::kNode;
  meter.device = "power_meter";
  meter.provenance = "/sys/class/hwmon/hwmon0/power1_average";
  ChannelInfo pkg;
  pkg.id = "powercap/intel-rapl:0";
  pkg.domain = Domain::kPackage;
  ChannelInfo no_uuid = gpu_channel(0, "index-0", "Old GPU", 0.0);
  no_uuid.id = "nvml/index-0";
  const std::vector<ChannelInfo> channels = {
      gpu_channel(1, "GPU-bbbb", "NVIDIA H100 80GB HBM3", 700.0), meter, pkg, no_uuid};
  const NodeInventory inv = read_node_inventory(fixture_context("intel-2s"), channels);
  ASSERT_EQ(inv.gpus.size(), 2u);
  EXPECT_EQ(inv.gpus[0].index, 0);  // sorted by index
  EXPECT_EQ(inv.gpus[0].uuid, "");
  EXPECT_FALSE(inv.gpus[0].power_limit_w);
  EXPECT_EQ(inv.gpus[1].uuid, "GPU-bbbb");
  EXPECT_EQ(inv.gpus[1].model, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(inv.gpus[1].power_limit_w, 700.0);
  ASSERT_EQ(inv.node_meters.size(), 1u);
  EXPECT_EQ(inv.node_meters[0].id, "hwmon/hwmon0/power1");
  EXPECT_EQ(inv.channels.size(), 4u);
}

TEST(NodeInventory, MixedCpuModelsAreNoted) {
  auto models = parse_cpu_models("model name\t: A\nmodel name\t: B\nmodel name\t: A\n");
  ASSERT_TRUE(models);
  EXPECT_EQ(*models, (std::vector<std::string>{"A", "B"}));
  test::TempTree proc("proc/intel-2s");
  test::write_file(proc / "cpuinfo", "model name\t: A\n\nmodel name\t: B\n");
  ProbeContext context = fixture_context("intel-2s");
  context.proc_root = proc.path();
  const NodeInventory inv = read_node_inventory(context, {});
  EXPECT_EQ(inv.cpu_model.value, "A");
  ASSERT_EQ(inv.notes.size(), 1u);
  EXPECT_NE(inv.notes[0].find("'B'"), std::string::npos);
}

TEST(NodeInventory, MemTotalParsing) {
  EXPECT_EQ(parse_mem_total_bytes("MemFree: 1 kB\nMemTotal:   2048 kB\n").value(), 2048u * 1024);
  EXPECT_FALSE(parse_mem_total_bytes("MemTotal: 2048 MB\n"));
  EXPECT_FALSE(parse_mem_total_bytes("MemTotal: -5 kB\n"));
  EXPECT_FALSE(parse_mem_total_bytes("MemTotal: 0 kB\n"));
  EXPECT_FALSE(parse_mem_total_bytes("MemTotal: 99999999999999999999999 kB\n"));
  EXPECT_FALSE(parse_mem_total_bytes("MemFree: 1 kB\n"));
  EXPECT_FALSE(parse_mem_total_bytes(""));
}

TEST(NodeInventory, CpuTimesAndBusyFraction) {
  auto a = parse_cpu_times("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7\n");
  auto b = parse_cpu_times("cpu  190 0 60 1500 50 0 0 0 0 0\n");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->busy, 150u);
  EXPECT_EQ(a->idle, 850u);
  // 100 busy ticks of 800 in total.
  EXPECT_NEAR(busy_fraction(*a, *b).value(), 100.0 / 800.0, 1e-12);
  EXPECT_FALSE(busy_fraction(*a, *a));  // no time passed: cannot tell
  EXPECT_FALSE(busy_fraction(*b, *a));  // counters went backwards: cannot tell
  EXPECT_FALSE(parse_cpu_times("cpu0 1 2 3 4 5 6 7\n"));
  EXPECT_FALSE(parse_cpu_times("cpu 1 2 x 4 5 6 7\n"));
  EXPECT_FALSE(parse_cpu_times("cpu 1 2 3\n"));
  EXPECT_FALSE(parse_cpu_times(""));
}

TEST(NodeInventory, LoadAverage) {
  EXPECT_DOUBLE_EQ(parse_load_average("0.52 0.58 0.59 2/613 12345\n").value(), 0.52);
  EXPECT_FALSE(parse_load_average(""));
  EXPECT_FALSE(parse_load_average("busy 1 2"));
  EXPECT_FALSE(parse_load_average("-1 0 0"));
  EXPECT_DOUBLE_EQ(read_load_average(test::fixture_dir("proc/intel-2s")).value(), 0.02);
  EXPECT_FALSE(read_load_average("/nonexistent/proc"));
}

}  // namespace
}  // namespace jt
