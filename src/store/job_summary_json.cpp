// SPDX-License-Identifier: BSD-3-Clause
#include "store/job_summary_json.hpp"

#include <limits>

namespace jt::store {

nlohmann::json to_json(const JobSummary& s) {
  return {{"cluster", s.cluster},
          {"job_id", s.job_id},
          {"uid", s.uid},
          {"user", s.user},
          {"begin_unix_ms", s.begin_unix_ms},
          {"end_unix_ms", s.end_unix_ms},
          {"nodes", s.nodes},
          {"steps", s.steps},
          {"total", figure_json(s.total)},
          {"idle_gpu", figure_json(s.idle_gpu)},
          {"estimate", figure_json(s.estimate)},
          {"whole", s.whole}};
}

Result<JobSummary> decode_job_summary(const nlohmann::json& value) {
  const JsonReader top(value, "job");
  constexpr int kMaxCount = std::numeric_limits<int>::max();
  JobSummary s;
  s.cluster = top.as_object().string("cluster");
  s.job_id = top.string("job_id");
  s.uid =
      static_cast<std::uint32_t>(top.integer("uid", 0, std::numeric_limits<std::uint32_t>::max()));
  s.user = top.string("user");
  s.begin_unix_ms = top.integer("begin_unix_ms");
  s.end_unix_ms = top.integer("end_unix_ms");
  s.nodes = static_cast<int>(top.integer("nodes", 0, kMaxCount));
  s.steps = static_cast<int>(top.integer("steps", 0, kMaxCount));
  s.total = read_figure(top, "total");
  s.idle_gpu = read_figure(top, "idle_gpu");
  s.estimate = read_figure(top, "estimate");
  s.whole = top.boolean("whole");
  if (!top.ok()) return make_error(ErrorKind::kInvalidData, top.problem());
  return s;
}

std::optional<double> estimate_relative_error(const JobSummary& s) {
  if (!s.estimate.energy_j || !s.total.energy_j || *s.total.energy_j <= 0.0) return std::nullopt;
  return (*s.estimate.energy_j - *s.total.energy_j) / *s.total.energy_j;
}

std::optional<double> idle_gpu_share(const JobSummary& s) {
  if (!s.idle_gpu.energy_j || !s.total.energy_j || *s.total.energy_j <= 0.0) return std::nullopt;
  return *s.idle_gpu.energy_j / *s.total.energy_j;
}

}  // namespace jt::store
