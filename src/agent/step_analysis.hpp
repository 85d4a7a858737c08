// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string>

#include "agent/slurm_step.hpp"
#include "ledger/run_analysis.hpp"
#include "sampler/sampler.hpp"
#include "store/job_record.hpp"

namespace jt::agent {

// What analysing a step needs beyond its readings, read once when the agent starts.
struct StepContext {
  NodeInventory inventory;
  std::optional<TdpTable> tdp;
  std::string tdp_error;
  ProbeContext probe;  // where the cgroup tree and /proc are
  double idle_activity_pct = 1.0;
};

// A finished step analysed as a run over [begin, end] (the one analysis, analyse_run): its
// components, total, coverage, attribution on a shared node, idle GPUs it owned, the runtime
// estimate and its phases, reduced to the record the job store keeps.
store::StepRecord analyse_step(const Timeline& timeline, const SlurmStep& step,
                               std::vector<Phase> phases, const StepContext& context,
                               const std::string& node, std::int64_t end_unix_ms);

}  // namespace jt::agent
