// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sensors/sensor.hpp"

namespace jt {

// Parses a kernel CPU list ("0-3,8,10-11", as in cpuset.cpus.effective and
// devices/system/cpu/online) into sorted, distinct CPU numbers. An empty list is an error:
// the files this reads never name zero CPUs.
Result<std::vector<int>> parse_cpu_list(std::string_view text);

// The cgroup v2 path of a process from the content of /proc/<pid>/cgroup ("0::/path"). Hosts
// that mount only cgroup v1 hierarchies have no "0::" line and get kUnsupported.
Result<std::string> parse_proc_cgroup(std::string_view content);

// Busy CPU time of the whole node, in USER_HZ ticks, from the "cpu" line of /proc/stat:
// user + nice + system + irq + softirq + steal. Guest time is already inside user (and
// guest_nice inside nice), so adding it would count it twice.
Result<std::uint64_t> parse_proc_stat_busy_ticks(std::string_view content);

// What the kernel said about a job's cgroup and the node at one instant. Taken before the
// measured command starts and after it ends; usage_between() turns two into shares.
struct CgroupSnapshot {
  std::string cgroup_path;            // relative to the cgroup v2 root, e.g. "/slurm/job_42"
  std::string cgroup_root;            // where the v2 hierarchy was found (under sysfs_root)
  std::uint64_t usage_usec = 0;       // cpu.stat usage_usec: CPU time of the whole subtree
  std::vector<int> allocated_cpus;    // the CPUs the job may run on
  std::string allocated_cpus_source;  // the file they were read from
  int online_cpus = 0;
  std::uint64_t node_busy_ticks = 0;  // /proc/stat, see parse_proc_stat_busy_ticks
  long ticks_per_second = 0;          // USER_HZ, sysconf(_SC_CLK_TCK)
};

// The job's use of the node between two snapshots: the inputs of shared-node attribution.
struct CgroupUsage {
  std::string cgroup_path;
  std::string allocated_cpus_source;
  double job_cpu_s = 0.0;        // CPU time of the job's cgroup over the interval
  double node_busy_cpu_s = 0.0;  // busy CPU time of every CPU of the node over the interval
  int allocated_cpus = 0;        // logical CPUs the job may use (the smaller of the two snapshots)
  int online_cpus = 0;
  std::vector<std::string> warnings;  // the snapshots disagree in a way that weakens the shares
};

// Reads the cgroup of `pid` and the node's CPU counters. Every file comes through the probe
// roots: <proc_root>/<pid>/cgroup, <sysfs_root>/fs/cgroup/<path>/cpu.stat and
// cpuset.cpus.effective (the nearest ancestor that has one, else the process's
// Cpus_allowed_list in <proc_root>/<pid>/status), <sysfs_root>/devices/system/cpu/online and
// <proc_root>/stat.
Result<CgroupSnapshot> snapshot_cgroup_usage(const ProbeContext& probe, pid_t pid);

// Same, for a cgroup named by its path below the v2 root ("/slurm/job_42"); `pid` is only used
// for the affinity fallback when no cpuset file exists.
Result<CgroupSnapshot> snapshot_cgroup_path(const ProbeContext& probe,
                                            const std::string& cgroup_path, pid_t pid);

// The change from `before` to `after`. Fails when a counter went backwards (the cgroup was
// recreated, the node rebooted) or when the two snapshots are of different cgroups.
Result<CgroupUsage> usage_between(const CgroupSnapshot& before, const CgroupSnapshot& after);

}  // namespace jt
