// SPDX-License-Identifier: BSD-3-Clause
// The Slurm side of the agent's protocol (docs/SLURM.md): steps registered by the SPANK
// plugin, their phase markers, their records, and the job store's answers.
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "agent/agent_service.hpp"
#include "agent/answers.hpp"
#include "core/clock.hpp"
#include "store/job_summary_json.hpp"

namespace jt::agent {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxOpenSteps = 10'000;
// A step's markers beyond this many lines are ignored: phases of a step are kept in memory
// until it ends, and a job must not be able to grow the agent without bound.
constexpr std::uint64_t kMaxMarkerLines = 1'000'000;
// A step's record waits this long past its end for the history to reach it (the sampler's
// settling and slow meters' rounds), then is made from what there is.
constexpr std::int64_t kRecordWaitNs = 6'000'000'000;
// A job-store query is answered within this, or told the store is unavailable.
constexpr std::int64_t kStoreWaitNs = 10'000'000'000;

std::int64_t ceil_to(std::int64_t t, std::int64_t step) {
  const std::int64_t q = t / step + (t % step > 0 ? 1 : 0);
  return q * step;
}

std::optional<std::string> text(const json& request, const char* field) {
  const auto it = request.find(field);
  if (it == request.end() || !it->is_string()) return std::nullopt;
  std::string value = it->get<std::string>();
  if (value.empty() || value.size() > 256) return std::nullopt;
  return value;
}

}  // namespace

json AgentService::step(Session& session, const json& request, std::int64_t now_ns) {
  if (!is_operator(state_.policy, session.peer))
    return failure("denied", "only root and operators register steps",
                   "steps are registered by the SPANK plugin in slurmstepd (docs/SLURM.md)");
  return request.at("op") == "step_begin" ? step_begin(request, now_ns) : step_end(request, now_ns);
}

json AgentService::step_begin(const json& request, std::int64_t now_ns) {
  auto parsed = parse_step_begin(request);
  if (!parsed) return failure("bad_request", parsed.error().message);
  SlurmStep s = std::move(*parsed);
  const std::string key = step_key(s.job_id, s.step_id);
  if (state_.steps.contains(key))
    return failure("exists", fmt::format("step {} is already registered", key));
  if (state_.steps.size() >= kMaxOpenSteps ||
      (state_.jobs.size() >= 100'000 && !state_.jobs.contains(s.job_id)))
    return failure("limit", "too many steps or jobs on record");
  s.begin_ns = now_ns;
  s.begin_unix_ms = (now_ns + realtime_minus_monotonic_ns()) / 1'000'000;
  if (s.cgroup.empty()) {
    s.cgroup_problem = "Slurm gave no cgroup for the step (proctrack/cgroup is not in use)";
  } else if (auto snap = snapshot_cgroup_path(state_.step_context.probe, s.cgroup, 0); snap) {
    s.cgroup_before = std::move(*snap);
  } else {
    s.cgroup_problem = snap.error().message;
  }
  Job& job = state_.jobs[s.job_id];
  if (job.id.empty() || job.end_ns) {
    job = Job{s.job_id, s.uid, s.user, now_ns, std::nullopt};
  }
  ++job.open_steps;
  job.gpus = union_of_gpu_lists(job.gpus, s.gpus);
  if (job.cluster.empty()) job.cluster = s.cluster;
  state_.steps.emplace(key, std::move(s));
  return success();
}

json AgentService::step_end(const json& request, std::int64_t now_ns) {
  const auto job_id = text(request, "job_id");
  const auto step_id = text(request, "step_id");
  if (!job_id || !step_id) return failure("bad_request", "step_end needs job_id and step_id");
  const auto it = state_.steps.find(step_key(*job_id, normalise_step_id(*step_id)));
  if (it == state_.steps.end() || it->second.end_ns)
    return failure("not_found", fmt::format("no open step {}.{}", *job_id, *step_id));
  it->second.end_ns = now_ns;
  state_.presence.note(it->second.uid, it->second.begin_ns, now_ns);
  if (auto job = state_.jobs.find(*job_id); job != state_.jobs.end()) {
    if (--job->second.open_steps <= 0) job->second.end_ns = now_ns;
  }
  return success();
}

json AgentService::markers(Session& session, const json& request) {
  const auto job_id = text(request, "job_id");
  const auto step_id = text(request, "step_id");
  if (!job_id || !step_id) return failure("bad_request", "markers needs job_id and step_id");
  const std::string key = step_key(*job_id, normalise_step_id(*step_id));
  const auto it = state_.steps.find(key);
  const bool mine = it != state_.steps.end() && (it->second.uid == session.peer.uid ||
                                                 is_operator(state_.policy, session.peer));
  // Another user's step is not there at all, as far as this user can tell.
  if (!mine || it->second.end_ns)
    return failure("not_found", fmt::format("no running step {} of yours", key));
  if (!it->second.phases)
    return failure("denied", "the step records no phases (--jouletrace=summary)");
  session.marker_step = key;
  return success();
}

void AgentService::feed_marker(Session& session, std::string_view line) {
  const auto it = state_.steps.find(session.marker_step);
  if (it == state_.steps.end() || it->second.end_ns) return;  // ended: late markers are moot
  SlurmStep& s = it->second;
  if (++s.marker_lines > kMaxMarkerLines) return;
  s.markers.feed(line);
  s.markers.feed("\n");
}

std::vector<store::StepRecord> AgentService::finish_steps(std::int64_t now_ns) {
  std::vector<store::StepRecord> records;
  const auto latest = state_.history.latest_ns();
  const auto floor_ns = static_cast<std::int64_t>(state_.interval_s * 1e9);
  for (auto it = state_.steps.begin(); it != state_.steps.end();) {
    SlurmStep& s = it->second;
    const bool covered = latest && s.end_ns && *latest >= ceil_to(*s.end_ns, floor_ns);
    if (!s.end_ns || (!covered && now_ns < *s.end_ns + kRecordWaitNs)) {
      ++it;
      continue;
    }
    std::int64_t from = s.begin_ns;
    std::int64_t to = *s.end_ns;
    const Timeline timeline = interval_timeline(from, to, floor_ns, true);
    const std::int64_t end_unix_ms = (*s.end_ns + realtime_minus_monotonic_ns()) / 1'000'000;
    std::vector<Phase> phases = s.phases ? s.markers.finish(*s.end_ns) : std::vector<Phase>{};
    if (const auto job = state_.jobs.find(s.job_id); job != state_.jobs.end()) {
      // The allocation's GPUs, as its other steps were told; one cluster name for all its records.
      if (s.step_id == "extern" && s.gpus.empty()) s.gpus = job->second.gpus;
      if (s.cluster.empty()) s.cluster = job->second.cluster;
    }
    records.push_back(
        analyse_step(timeline, s, phases, state_.step_context, state_.node, end_unix_ms));
    it = state_.steps.erase(it);
  }
  return records;
}

std::optional<std::string> AgentService::store_answer(Session& session, std::int64_t now_ns) {
  Session::Pending& p = *session.pending;
  std::optional<json> answer = state_.store->take(p.store_ticket);
  if (!answer) {
    if (now_ns < p.deadline_ns) return std::nullopt;
    state_.store->abandon(p.store_ticket);
    answer = failure("store_unavailable", "the job store did not answer in time",
                     "the database may be overloaded or unreachable; see the agent's log");
  }
  if (p.request.contains("id")) (*answer)["id"] = p.request["id"];
  session.pending.reset();
  return answer->dump() + "\n";
}

json AgentService::stored_jobs(Session& session, const json& request, std::int64_t now_ns) {
  if (state_.store == nullptr)
    return failure("store_unavailable", "this agent keeps no job store",
                   "the agent was started without a state directory");
  const bool privileged = is_operator(state_.policy, session.peer);
  StoreWorker::Query query;
  if (request.at("op") == "job_record") {
    const auto job_id = text(request, "job_id");
    if (!job_id) return failure("bad_request", "job_record needs job_id");
    const std::optional<std::uint32_t> owner =
        privileged ? std::nullopt : std::optional<std::uint32_t>(session.peer.uid);
    query = [id = *job_id, owner](store::JobStore& store) {
      auto found = store.job(id, owner);
      // Another user's job is not there at all, as far as this user can tell.
      if ((!found && found.error().kind == ErrorKind::kNotFound) || (found && found->empty()))
        return failure("not_found", fmt::format("no job {} of yours in the job store", id));
      if (!found) return failure("store_unavailable", found.error().message, found.error().hint);
      json answer = success();
      answer["records"] = json::array();
      for (const store::StepRecord& r : *found) answer["records"].push_back(store::to_json(r));
      return answer;
    };
  } else {
    store::JobQuery q;
    if (request.contains("uid")) {
      if (!request["uid"].is_number_unsigned() ||
          request["uid"].get<std::uint64_t>() >= std::numeric_limits<uid_t>::max())
        return failure("bad_request", "uid is a user id");
      q.uid = static_cast<std::uint32_t>(request["uid"].get<std::uint64_t>());
    }
    if (!privileged) {
      if (q.uid && *q.uid != session.peer.uid)
        return failure("denied", "only root and operators list other users' jobs");
      q.uid = session.peer.uid;
    }
    if (request.contains("since_unix_ms")) {
      if (!request["since_unix_ms"].is_number_integer())
        return failure("bad_request", "since_unix_ms is an integer");
      q.since_unix_ms = request["since_unix_ms"].get<std::int64_t>();
    }
    if (request.contains("limit")) {
      if (!request["limit"].is_number_unsigned())
        return failure("bad_request", "limit is a positive integer");
      q.limit = static_cast<std::size_t>(
          std::clamp<std::uint64_t>(request["limit"].get<std::uint64_t>(), 1, 10'000));
    }
    query = [q](store::JobStore& store) {
      auto found = store.jobs(q);
      if (!found) return failure("store_unavailable", found.error().message, found.error().hint);
      json answer = success();
      answer["jobs"] = json::array();
      for (const store::JobSummary& j : *found) answer["jobs"].push_back(store::to_json(j));
      return answer;
    };
  }
  json waiting{{"op", request.at("op")}};
  if (request.contains("id")) waiting["id"] = request["id"];
  session.pending =
      Session::Pending{std::move(waiting), now_ns, now_ns + kStoreWaitNs, state_.store->ask(query)};
  return nullptr;
}

}  // namespace jt::agent
