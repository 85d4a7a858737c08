// SPDX-License-Identifier: BSD-3-Clause
#include "sensors/cpu_topology.hpp"

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace jt {
namespace {

TEST(CpuModalias, ParsesIntelAndAmd) {
  auto intel = parse_cpu_modalias("cpu:type:x86,ven0000fam0006mod0055:feature:,0000,0001");
  ASSERT_TRUE(intel);
  EXPECT_EQ(intel->vendor, CpuVendor::kIntel);
  EXPECT_EQ(intel->family, 6);
  EXPECT_EQ(intel->model, 0x55);
  auto amd = parse_cpu_modalias("cpu:type:x86,ven0002fam0019mod0001:feature:,0000");
  ASSERT_TRUE(amd);
  EXPECT_EQ(amd->vendor, CpuVendor::kAmd);
  EXPECT_EQ(amd->family, 0x19);
}

TEST(CpuModalias, RejectsOtherText) {
  EXPECT_FALSE(parse_cpu_modalias("cpu:type:aarch64:feature:,0001"));
  EXPECT_FALSE(parse_cpu_modalias(""));
}

TEST(CpuTopology, ReadsPackagesAndSkipsOfflineCpus) {
  test::TempTree tree;
  const std::string base = "devices/system/cpu/";
  for (int cpu = 0; cpu < 4; ++cpu) {
    test::write_file(tree / (base + "cpu" + std::to_string(cpu) + "/topology/physical_package_id"),
                     std::to_string(cpu / 2) + "\n");
    test::write_file(tree / (base + "cpu" + std::to_string(cpu) + "/topology/core_id"),
                     std::to_string(cpu % 2) + "\n");
  }
  test::write_file(tree / (base + "cpu3/online"), "0\n");
  test::write_file(tree / (base + "cpufreq/boost"), "1\n");  // not a cpu directory
  auto cpus = read_cpu_topology(tree.path());
  ASSERT_TRUE(cpus);
  ASSERT_EQ(cpus->size(), 3u);
  EXPECT_EQ((*cpus)[2].cpu, 2);
  EXPECT_EQ((*cpus)[2].package, 1);
}

TEST(CpuTopology, MissingTreeIsAnError) {
  test::TempTree tree;
  EXPECT_FALSE(read_cpu_topology(tree.path()));
  EXPECT_FALSE(read_cpu_identity(tree.path()));
}

}  // namespace
}  // namespace jt
