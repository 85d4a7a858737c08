// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <string>

#include "store/job_record.hpp"

namespace jt::store::testing {

inline Figure figure(double energy_j, double uncertainty_j, double systematic_j,
                     Method method = Method::kCounter) {
  return {.energy_j = energy_j,
          .uncertainty_j = uncertainty_j,
          .systematic_j = systematic_j,
          .method = method};
}

// A record with every field set, so that a round trip that drops one shows.
inline StepRecord sample_record(const std::string& job_id, const std::string& step_id,
                                const std::string& node, StepScope scope, std::int64_t begin_ms,
                                std::int64_t end_ms, double total_j) {
  StepRecord r;
  r.key = {.cluster = "alps", .job_id = job_id, .step_id = step_id, .node = node};
  r.uid = 1000;
  r.user = "alice";
  r.begin_unix_ms = begin_ms;
  r.end_unix_ms = end_ms;
  r.scope = scope;
  r.detail = "phases";
  r.cpus = "0-3,8";
  r.gpus = "0,1";
  r.cgroup = "/system.slice/slurmstepd.scope/job_" + job_id + "/step_" + step_id;
  r.components = {{.id = "powercap/intel-rapl:0",
                   .domain = "package",
                   .energy = figure(total_j * 0.25, 2.0, 1.0),
                   .covered_s = 10.5,
                   .in_total = true},
                  {.id = "nvml/GPU-1",
                   .domain = "gpu",
                   .energy = figure(total_j * 0.75, 4.0, 3.0),
                   .covered_s = 10.0,
                   .in_total = true}};
  r.total = figure(total_j, 5.0, 4.0);
  r.coverage = 0.875;
  r.attribution_rule = "exclusive";
  r.attributed = figure(total_j, 5.0, 4.0);
  r.gpus_measured = {{.id = "nvml/GPU-1",
                      .uuid = "GPU-1",
                      .index = 1,
                      .share = 0.5,
                      .energy = figure(total_j * 0.75, 4.0, 3.0),
                      .idle = true}};
  r.idle_gpu = figure(total_j * 0.125, 1.5, 1.0);
  r.estimate = figure(total_j * 1.5, total_j * 0.75, total_j * 0.75, Method::kModel);
  r.estimate_basis = "rated power x time";
  r.phases = {{.name = "train",
               .count = 2,
               .duration_s = 6.5,
               .items = 64,
               .energy = figure(total_j * 0.5, 3.0, 2.0)}};
  r.warnings = {"a warning"};
  return r;
}

}  // namespace jt::store::testing
