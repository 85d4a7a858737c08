// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "store/job_store.hpp"

namespace jt::store {

// A job's line of `jobs` on the agent's socket (docs/AGENT.md, "Protocol").
nlohmann::json to_json(const JobSummary& summary);
// Strict, like decode_step_record: the answer comes from another process.
Result<JobSummary> decode_job_summary(const nlohmann::json& value);

// (estimate - measured) / measured of a job: only when both are known and measured > 0.
std::optional<double> estimate_relative_error(const JobSummary& summary);
// The idle GPUs' share of the job's energy: only when both are known and the total > 0.
std::optional<double> idle_gpu_share(const JobSummary& summary);

}  // namespace jt::store
