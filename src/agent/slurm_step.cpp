// SPDX-License-Identifier: BSD-3-Clause
#include "agent/slurm_step.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace jt::agent {

namespace {

constexpr std::size_t kMaxFieldBytes = 256;
constexpr std::size_t kMaxCgroupBytes = 4096;

Result<std::string> text_field(const nlohmann::json& request, const char* field, bool required,
                               std::size_t max_bytes = kMaxFieldBytes) {
  const auto it = request.find(field);
  if (it == request.end() || it->is_null()) {
    if (required)
      return make_error(ErrorKind::kInvalidData, fmt::format("step_begin needs {}", field));
    return std::string{};
  }
  if (!it->is_string())
    return make_error(ErrorKind::kInvalidData, fmt::format("{} is a string", field));
  std::string value = it->get<std::string>();
  if (value.size() > max_bytes)
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("{} is at most {} bytes", field, max_bytes));
  return value;
}

Result<std::int64_t> id_field(const nlohmann::json& request, const char* field) {
  const auto it = request.find(field);
  if (it == request.end() || !it->is_number_unsigned())
    return make_error(ErrorKind::kInvalidData,
                      fmt::format("step_begin needs {} (a non-negative integer)", field));
  const auto value = it->get<std::uint64_t>();
  // uid_t(-1) is no user (chown's "unchanged").
  if (value >= std::numeric_limits<uid_t>::max())
    return make_error(ErrorKind::kInvalidData, fmt::format("{} is out of range", field));
  return static_cast<std::int64_t>(value);
}

}  // namespace

std::string step_key(const std::string& job_id, const std::string& step_id) {
  return job_id + "." + step_id;
}

std::string normalise_step_id(const std::string& step_id) {
  // slurm.h (22.05): SLURM_INTERACTIVE_STEP, SLURM_BATCH_SCRIPT, SLURM_EXTERN_CONT.
  if (step_id == "4294967290") return "interactive";
  if (step_id == "4294967291") return "batch";
  if (step_id == "4294967292") return "extern";
  return step_id;
}

store::StepScope scope_of_step(const std::string& step_id) {
  if (step_id == "extern") return store::StepScope::kAllocation;
  if (step_id == "batch") return store::StepScope::kBatch;
  return store::StepScope::kStep;
}

std::string union_of_gpu_lists(const std::string& a, const std::string& b) {
  std::vector<std::string> seen;
  for (const std::string* list : {&a, &b}) {
    std::size_t start = 0;
    while (start <= list->size()) {
      const std::size_t comma = std::min(list->find(',', start), list->size());
      std::string entry = list->substr(start, comma - start);
      if (!entry.empty() && std::ranges::find(seen, entry) == seen.end())
        seen.push_back(std::move(entry));
      start = comma + 1;
    }
  }
  std::string joined;
  for (const std::string& e : seen) joined += (joined.empty() ? "" : ",") + e;
  return joined;
}

Result<SlurmStep> parse_step_begin(const nlohmann::json& request) {
  SlurmStep step;
  auto job = text_field(request, "job_id", true);
  auto id = text_field(request, "step_id", true);
  auto cluster = text_field(request, "cluster", false);
  auto user = text_field(request, "user", false);
  auto cgroup = text_field(request, "cgroup", false, kMaxCgroupBytes);
  auto cpus = text_field(request, "cpus", false, kMaxCgroupBytes);
  auto gpus = text_field(request, "gpus", false, kMaxCgroupBytes);
  auto detail = text_field(request, "detail", false);
  auto uid = id_field(request, "uid");
  auto gid = id_field(request, "gid");
  for (const Result<std::string>* r : {&job, &id, &cluster, &user, &cgroup, &cpus, &gpus, &detail})
    if (!*r) return std::unexpected(r->error());
  if (!uid) return std::unexpected(uid.error());
  if (!gid) return std::unexpected(gid.error());
  if (job->empty() || id->empty() || job->find('.') != std::string::npos ||
      id->find('.') != std::string::npos)
    return make_error(ErrorKind::kInvalidData, "job_id and step_id are non-empty, without '.'");
  if (!detail->empty() && *detail != "summary" && *detail != "phases")
    return make_error(ErrorKind::kInvalidData, "detail is summary or phases");
  step.job_id = *job;
  step.step_id = normalise_step_id(*id);
  step.cluster = *cluster;
  step.user = *user;
  step.cgroup = *cgroup;
  step.cpus = *cpus;
  step.gpus = *gpus;
  step.phases = *detail != "summary";
  step.uid = static_cast<uid_t>(*uid);
  step.gid = static_cast<gid_t>(*gid);
  return step;
}

}  // namespace jt::agent
