// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/job_summary.hpp"

namespace jt {

// `jouletrace job` (docs/SLURM.md, "Seeing a job's energy"): the job across nodes, steps,
// components and phases, in J and kWh, with the runtime estimate beside the measurement.
std::string job_text(const store::JobReport& report);
// The same as JSON (schema "jouletrace.job", version 1: schemas/job.schema.json): the figures and
// every step record.
nlohmann::json job_json(const store::JobReport& report);
// `jouletrace jobs`: one line per job, newest first.
// With `carbon` (factors given): JSON adds each job's co2e and cost fields and `carbon` for the
// list; text adds the list's CO2e and cost under it (the lines are full already).
std::string jobs_text(const std::vector<store::JobSummary>& jobs,
                      const store::JobsCarbon* carbon = nullptr);
nlohmann::json jobs_json(const std::vector<store::JobSummary>& jobs,
                         const store::JobsCarbon* carbon = nullptr);
// The compact, versioned summary the EpilogSlurmctld script puts in the job's AdminComment
// (docs/SLURM.md, "sacct"): one line of JSON.
std::string admin_comment(const store::JobReport& report);

}  // namespace jt
