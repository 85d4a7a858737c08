// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

// The SPANK plugin's own logic, free of Slurm symbols so that it is unit-tested and fuzzed
// without slurmstepd (docs/SLURM.md).
namespace jt::slurm {

// How much the agent records of a step: --jouletrace=off|summary|phases.
enum class Detail { kOff, kSummary, kPhases };

Result<Detail> parse_detail(std::string_view text);
const char* to_string(Detail detail);

// The plugstack.conf arguments: socket=PATH default=off|summary|phases timeout_ms=N.
struct PluginSettings {
  std::string socket_path = "/run/jouletrace/agent.sock";
  Detail default_detail = Detail::kPhases;
  int timeout_ms = 50;  // the most one exchange with the agent may take
};

inline constexpr int kMaxTimeoutMs = 10'000;

// The socket path with "%n" replaced by the node's short host name, as Slurm's own paths take
// it when several slurmd share a host (SlurmdSpoolDir=/var/spool/slurmd.%n): each node's
// slurmstepd then reaches its own node's agent.
std::string expand_node_name(std::string_view path, std::string_view host_name);

// Every argument must be known and valid: a typo in plugstack.conf is reported, not ignored.
Result<PluginSettings> parse_plugin_arguments(std::span<const std::string_view> arguments);

// A step id as the agent and sacct name it: "batch", "extern", "interactive" or the number.
std::string step_id_text(std::uint32_t step_id);

struct StepDescription {
  std::string cluster;
  std::string job_id;
  std::string step_id;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string user;
  std::string cgroup;  // the step's cgroup v2 directory, empty when unknown
  std::string cpus;    // a CPU list "0-3,8", empty when unknown
  std::string gpus;    // Slurm's GPU indices "0,1", empty when none or unknown
  Detail detail = Detail::kPhases;
};

// The agent requests (docs/AGENT.md), each one line ending in '\n'.
std::string step_begin_request(const StepDescription& step);
std::string step_end_request(std::string_view job_id, std::string_view step_id);

// The step's cgroup from /proc/self/cgroup of slurmstepd, as the path below the cgroup v2 root
// that the agent reads it under ("/system.slice/slurmstepd.scope/job_7/step_0"). Under cgroup v2
// Slurm 22.05 puts slurmstepd in the step's "slurm" leaf (job_N/step_M/slurm) and the tasks in a
// sibling "user" subtree, so the step is the leaf's parent. Empty under cgroup v1 or when not in
// a step.
std::string step_cgroup_from_proc(std::string_view proc_self_cgroup);

struct EnvironmentVariable {
  std::string name;
  std::string value;
};

// What the job's processes get: the agent's socket for summary and phases, and the marker
// channel (docs/MARKERS.md) for phases only; nothing for off.
std::vector<EnvironmentVariable> step_environment(Detail detail, std::string_view socket_path,
                                                  std::string_view job_id,
                                                  std::string_view step_id);

}  // namespace jt::slurm
