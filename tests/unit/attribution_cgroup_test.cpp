// SPDX-License-Identifier: BSD-3-Clause
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "sensors/cgroup_usage.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

using test::TempTree;
using test::write_file;

constexpr pid_t kSlurmPid = 4242;
const std::string kTaskCgroup = "/system.slice/slurmstepd.scope/job_42/step_0/user/task_0";

ProbeContext context_for(const TempTree& tree) {
  ProbeContext probe;
  probe.sysfs_root = tree / "sys";
  probe.proc_root = tree / "proc";
  return probe;
}

std::vector<int> range(int first, int last) {
  std::vector<int> cpus;
  for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
  return cpus;
}

TEST(CpuList, ParsesRangesAndSingles) {
  auto cpus = parse_cpu_list("0-3,8,10-11\n");
  ASSERT_TRUE(cpus) << cpus.error().message;
  EXPECT_EQ(*cpus, (std::vector<int>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(*parse_cpu_list("5"), std::vector<int>{5});
  EXPECT_EQ(*parse_cpu_list("0-63"), range(0, 63));
}

TEST(CpuList, OverlapsAndOrderCollapse) { EXPECT_EQ(*parse_cpu_list("4-5,0-3,2-5"), range(0, 5)); }

TEST(CpuList, RejectsMalformedLists) {
  for (const char* bad : {"", "  ", "3-1", "a", "1,,2", "1-", "-1", "0-99999999", "1;2", "0x3",
                          "1 2", ",", "2-3-4"}) {
    auto cpus = parse_cpu_list(bad);
    ASSERT_FALSE(cpus) << "accepted '" << bad << "'";
    EXPECT_EQ(cpus.error().kind, ErrorKind::kInvalidData);
    EXPECT_NE(cpus.error().message.find("CPU list"), std::string::npos) << cpus.error().message;
  }
}

TEST(ProcCgroup, UnifiedAndHybridGiveTheV2Path) {
  EXPECT_EQ(*parse_proc_cgroup("0::/user.slice/session-1.scope\n"), "/user.slice/session-1.scope");
  EXPECT_EQ(*parse_proc_cgroup("12:cpuset:/\n1:name=systemd:/x\n0::/x/y\n"), "/x/y");
  EXPECT_EQ(*parse_proc_cgroup("0::/\n"), "/");
}

TEST(ProcCgroup, V1OnlyHostIsUnsupportedWithAHint) {
  auto path = parse_proc_cgroup("12:cpu,cpuacct:/slurm/job_1\n11:cpuset:/slurm/job_1\n");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().kind, ErrorKind::kUnsupported);
  EXPECT_NE(path.error().message.find("cgroup v1"), std::string::npos);
  EXPECT_NE(path.error().hint.find("exclusive"), std::string::npos);
}

TEST(ProcCgroup, MalformedLinesAreErrors) {
  EXPECT_EQ(parse_proc_cgroup("").error().kind, ErrorKind::kInvalidData);
  EXPECT_EQ(parse_proc_cgroup("0::relative/path\n").error().kind, ErrorKind::kInvalidData);
  EXPECT_EQ(parse_proc_cgroup("0::/a/../../etc\n").error().kind, ErrorKind::kInvalidData);
  EXPECT_EQ(parse_proc_cgroup("0::/job_1 (deleted)\n").error().kind, ErrorKind::kNotFound);
}

TEST(ProcStat, BusyTicksAddUserNiceSystemIrqSoftirqSteal) {
  // guest (5000) is inside user already and must not be added again; idle and iowait are not
  // busy.
  auto busy = parse_proc_stat_busy_ticks(
      "cpu  400000 1000 30000 9000000 2000 500 700 300 5000 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n");
  ASSERT_TRUE(busy) << busy.error().message;
  EXPECT_EQ(*busy, 400000u + 1000u + 30000u + 500u + 700u + 300u);
}

TEST(ProcStat, OldKernelsWithoutStealStillParse) {
  EXPECT_EQ(*parse_proc_stat_busy_ticks("cpu 10 20 30 40 50 60 70\n"), 10u + 20u + 30u + 60u + 70u);
}

TEST(ProcStat, MalformedContentIsAnError) {
  for (const char* bad :
       {"", "cpu0 1 2 3 4 5 6 7 8\n", "cpu 1 2 3\n", "cpu 1 2 x 4 5 6 7 8\n", "intr 1 2 3\n"}) {
    auto busy = parse_proc_stat_busy_ticks(bad);
    ASSERT_FALSE(busy) << "accepted '" << bad << "'";
    EXPECT_EQ(busy.error().kind, ErrorKind::kInvalidData);
  }
}

TEST(CgroupSnapshot, SlurmTaskWalksUpToTheJobCpuset) {
  TempTree tree("cgroup/slurm-shared");
  auto snapshot = snapshot_cgroup_usage(context_for(tree), kSlurmPid);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(snapshot->cgroup_path, kTaskCgroup);
  EXPECT_EQ(snapshot->usage_usec, 120000000u);
  EXPECT_EQ(snapshot->allocated_cpus, (std::vector<int>{0, 1, 2, 3, 16, 17, 18, 19}));
  EXPECT_NE(snapshot->allocated_cpus_source.find("job_42/cpuset.cpus.effective"), std::string::npos)
      << snapshot->allocated_cpus_source;
  EXPECT_EQ(snapshot->online_cpus, 32);
  EXPECT_EQ(snapshot->node_busy_ticks, 432500u);
  EXPECT_EQ(snapshot->ticks_per_second, ::sysconf(_SC_CLK_TCK));
}

TEST(CgroupSnapshot, NamedCgroupPath) {
  TempTree tree("cgroup/slurm-shared");
  auto snapshot =
      snapshot_cgroup_path(context_for(tree), "/system.slice/slurmstepd.scope/job_42", kSlurmPid);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(snapshot->usage_usec, 250000000u);
  EXPECT_EQ(snapshot->allocated_cpus.size(), 8u);
}

TEST(CgroupSnapshot, HybridHostFallsBackToTheOnlineAffinity) {
  TempTree tree("cgroup/hybrid");
  auto snapshot = snapshot_cgroup_usage(context_for(tree), 777);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_NE(snapshot->cgroup_root.find("fs/cgroup/unified"), std::string::npos);
  EXPECT_EQ(snapshot->usage_usec, 3000000u);
  // Cpus_allowed_list is 0-15 but only 0-7 are online.
  EXPECT_EQ(snapshot->allocated_cpus, range(0, 7));
  EXPECT_NE(snapshot->allocated_cpus_source.find("Cpus_allowed_list"), std::string::npos);
  EXPECT_EQ(snapshot->online_cpus, 8);
}

TEST(CgroupSnapshot, V1OnlyHostIsUnsupported) {
  TempTree tree("cgroup/v1-only");
  auto snapshot = snapshot_cgroup_usage(context_for(tree), kSlurmPid);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().kind, ErrorKind::kUnsupported);
  EXPECT_NE(snapshot.error().message.find("cgroup v1"), std::string::npos);
}

TEST(CgroupSnapshot, NoV2MountIsNotFound) {
  TempTree tree("cgroup/slurm-shared");
  std::filesystem::remove(tree / "sys/fs/cgroup/cgroup.controllers");
  auto snapshot = snapshot_cgroup_usage(context_for(tree), kSlurmPid);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(snapshot.error().message.find("cgroup v2"), std::string::npos);
}

TEST(CgroupSnapshot, MissingProcessOrFilesAreNamed) {
  TempTree tree("cgroup/slurm-shared");
  auto gone = snapshot_cgroup_usage(context_for(tree), 99999);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(gone.error().message.find("99999/cgroup"), std::string::npos);

  std::filesystem::remove(tree / "sys/devices/system/cpu/online");
  auto no_online = snapshot_cgroup_usage(context_for(tree), kSlurmPid);
  ASSERT_FALSE(no_online);
  EXPECT_NE(no_online.error().message.find("online"), std::string::npos);
}

TEST(CgroupSnapshot, MissingCpuStatIsNotFound) {
  TempTree tree("cgroup/slurm-shared");
  std::filesystem::remove(tree / ("sys/fs/cgroup" + kTaskCgroup + "/cpu.stat"));
  auto snapshot = snapshot_cgroup_usage(context_for(tree), kSlurmPid);
  ASSERT_FALSE(snapshot);
  EXPECT_EQ(snapshot.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(snapshot.error().message.find("cpu.stat"), std::string::npos);
}

TEST(CgroupSnapshot, MalformedFilesAreInvalidData) {
  struct Case {
    std::string file;
    std::string content;
    std::string expected;  // part of the message
  };
  const std::vector<Case> cases = {
      {"sys/fs/cgroup" + kTaskCgroup + "/cpu.stat", "user_usec 5\nsystem_usec 1\n", "usage_usec"},
      {"sys/fs/cgroup" + kTaskCgroup + "/cpu.stat", "usage_usec -5\n", "usage_usec"},
      {"sys/fs/cgroup/system.slice/slurmstepd.scope/job_42/cpuset.cpus.effective", "0-3,x\n",
       "cpuset.cpus.effective"},
      {"sys/fs/cgroup/system.slice/slurmstepd.scope/job_42/cpuset.cpus.effective", "64-71\n",
       "no online CPU"},
      {"sys/devices/system/cpu/online", "garbage\n", "CPU list"},
      {"proc/stat", "cpu 1 2\n", "fields"},
      {"proc/4242/cgroup", "0::no-slash\n", "malformed"},
  };
  for (const auto& c : cases) {
    TempTree tree("cgroup/slurm-shared");
    write_file(tree / c.file, c.content);
    auto snapshot = snapshot_cgroup_usage(context_for(tree), kSlurmPid);
    ASSERT_FALSE(snapshot) << c.file;
    EXPECT_EQ(snapshot.error().kind, ErrorKind::kInvalidData) << c.file;
    EXPECT_NE(snapshot.error().message.find(c.expected), std::string::npos)
        << c.file << ": " << snapshot.error().message;
  }
}

TEST(CgroupUsageDelta, SharesComeFromTwoSnapshots) {
  TempTree tree("cgroup/slurm-shared");
  const ProbeContext probe = context_for(tree);
  auto before = snapshot_cgroup_usage(probe, kSlurmPid);
  ASSERT_TRUE(before) << before.error().message;
  const long hz = ::sysconf(_SC_CLK_TCK);
  // 120 s more CPU time for the job; 480 s more busy time for the node (user field).
  write_file(tree / ("sys/fs/cgroup" + kTaskCgroup + "/cpu.stat"),
             "usage_usec 240000000\nuser_usec 230000000\nsystem_usec 10000000\n");
  write_file(tree / "proc/stat", "cpu  " + std::to_string(400000 + 480 * hz) +
                                     " 1000 30000 9100000 2000 500 700 300 5000 0\n");
  auto after = snapshot_cgroup_path(probe, before->cgroup_path, kSlurmPid);
  ASSERT_TRUE(after) << after.error().message;
  auto usage = usage_between(*before, *after);
  ASSERT_TRUE(usage) << usage.error().message;
  EXPECT_DOUBLE_EQ(usage->job_cpu_s, 120.0);
  EXPECT_DOUBLE_EQ(usage->node_busy_cpu_s, 480.0);
  EXPECT_EQ(usage->allocated_cpus, 8);
  EXPECT_EQ(usage->online_cpus, 32);
  EXPECT_EQ(usage->cgroup_path, kTaskCgroup);
  EXPECT_TRUE(usage->warnings.empty());
}

CgroupSnapshot snapshot_of(std::uint64_t usage_usec, std::uint64_t busy_ticks,
                           std::vector<int> cpus) {
  CgroupSnapshot s;
  s.cgroup_path = "/job";
  s.usage_usec = usage_usec;
  s.node_busy_ticks = busy_ticks;
  s.allocated_cpus = std::move(cpus);
  s.online_cpus = 32;
  s.ticks_per_second = 100;
  return s;
}

TEST(CgroupUsageDelta, CountersGoingBackwardsAreErrors) {
  auto usage_back =
      usage_between(snapshot_of(10, 100, range(0, 7)), snapshot_of(5, 200, range(0, 7)));
  ASSERT_FALSE(usage_back);
  EXPECT_NE(usage_back.error().message.find("usage_usec went backwards"), std::string::npos);
  auto busy_back =
      usage_between(snapshot_of(10, 300, range(0, 7)), snapshot_of(20, 200, range(0, 7)));
  ASSERT_FALSE(busy_back);
  EXPECT_NE(busy_back.error().message.find("/proc/stat"), std::string::npos);
}

TEST(CgroupUsageDelta, DifferentCgroupsAreAnError) {
  auto a = snapshot_of(10, 100, range(0, 7));
  auto b = snapshot_of(20, 200, range(0, 7));
  b.cgroup_path = "/other";
  auto usage = usage_between(a, b);
  ASSERT_FALSE(usage);
  EXPECT_EQ(usage.error().kind, ErrorKind::kInvalidData);
}

TEST(CgroupUsageDelta, ChangedCpusetKeepsTheSmallerSetAndWarns) {
  auto usage =
      usage_between(snapshot_of(0, 0, range(0, 7)), snapshot_of(1000000, 200, range(0, 3)));
  ASSERT_TRUE(usage) << usage.error().message;
  EXPECT_EQ(usage->allocated_cpus, 4);
  EXPECT_DOUBLE_EQ(usage->job_cpu_s, 1.0);
  EXPECT_DOUBLE_EQ(usage->node_busy_cpu_s, 2.0);
  ASSERT_EQ(usage->warnings.size(), 1u);
  EXPECT_NE(usage->warnings[0].find("CPUs changed"), std::string::npos);
}

}  // namespace
}  // namespace jt
