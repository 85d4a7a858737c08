// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "markers/marker_protocol.hpp"
#include "sensors/cgroup_usage.hpp"
#include "store/job_record.hpp"

namespace jt::agent {

// A step of a Slurm job on this node, registered by the SPANK plugin in slurmstepd
// (docs/SLURM.md): from step_begin to step_end, with the phases its processes marked.
struct SlurmStep {
  std::string cluster;
  std::string job_id;
  std::string step_id;  // "extern", "batch", "interactive" or the step's number
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;
  std::string cgroup;  // relative to the cgroup v2 root; empty when Slurm keeps none
  std::string cpus;    // "0-3,8"
  std::string gpus;    // Slurm's GPU numbers, "0,1"; empty: none
  bool phases = true;  // --jouletrace=phases: its markers are recorded
  std::int64_t begin_ns = 0;
  std::int64_t begin_unix_ms = 0;
  std::optional<std::int64_t> end_ns;
  std::optional<CgroupSnapshot> cgroup_before;
  std::string cgroup_problem;  // why there is no CPU-time share
  PhaseTracker markers;
  std::uint64_t marker_lines = 0;
};

// A step's key in the agent's table: "JOB.STEP" (a job id may hold '_' but never '.').
std::string step_key(const std::string& job_id, const std::string& step_id);
// Slurm's reserved step numbers as the names sacct shows (slurm.h: SLURM_EXTERN_CONT ...).
std::string normalise_step_id(const std::string& step_id);
store::StepScope scope_of_step(const std::string& step_id);
// Two GPU lists as one, each number once, in order: "0,2" and "2,3" give "0,2,3".
std::string union_of_gpu_lists(const std::string& a, const std::string& b);
// The fields of a step_begin request, checked (sizes, types, a "detail" of summary or phases).
Result<SlurmStep> parse_step_begin(const nlohmann::json& request);

}  // namespace jt::agent
